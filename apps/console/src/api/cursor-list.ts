import {
  keepPreviousData,
  useInfiniteQuery,
  type InfiniteData,
  type QueryKey,
} from '@tanstack/react-query';
import type { ApiError } from './client';

/**
 * Every list in the API pages by an opaque keyset cursor, so one hook serves them all:
 * pages load on demand and the next cursor comes from the last page.
 */
export function useCursorList<TPage extends { nextCursor: string | null }, TKey extends QueryKey>({
  queryKey,
  fetchPage,
  enabled,
  refetchInterval,
}: {
  queryKey: TKey;
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<TPage>;
  enabled?: boolean;
  /** For a list whose rows change while it is shown, e.g. counts that bulk work lowers. */
  refetchInterval?: number | false;
}) {
  return useInfiniteQuery<TPage, ApiError, InfiniteData<TPage>, TKey, string | undefined>({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam, signal),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Keep showing the current rows while a new search or sort loads.
    placeholderData: keepPreviousData,
    enabled,
    refetchInterval,
  });
}
