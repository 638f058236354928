import { apiPaths, searchResults, type SearchResults } from '@berth/contract';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/**
 * The header's search. Results are read while the box is open and then dropped, so no
 * mutation invalidates them: each new text asks again, and the same text asks again after a
 * few seconds (a delete or push elsewhere changes what it finds).
 */
export function useRegistrySearch(q: string) {
  return useQuery<SearchResults, ApiError>({
    queryKey: queryKeys.search(q),
    queryFn: ({ signal }) => apiRequest(apiPaths.search(), searchResults, { query: { q }, signal }),
    enabled: q !== '',
    staleTime: 5_000,
    gcTime: 30_000,
    // The previous text's results stay while the next ones load, instead of a flash of nothing.
    placeholderData: keepPreviousData,
  });
}
