import {
  MAX_PAGE_SIZE,
  apiPaths,
  imageList,
  imagesTrashed,
  untagged,
  type ImageRef,
  type ImagesTrashed,
  type Untagged,
} from '@berth/contract';
import { useMutation, useQueries, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { ApiError, apiRequest } from './client';
import { queryKeys, type ImageListParams } from './query-keys';

export function useImageList(
  namespace: string,
  repository: string,
  params: ImageListParams,
  enabled = true,
) {
  return useCursorList({
    enabled,
    queryKey: queryKeys.images.list(namespace, repository, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.images(namespace, repository), imageList, {
        query: { q: params.q, sort: params.sort, order: params.order, cursor },
        signal,
      }),
  });
}

/**
 * The digest of the live image that holds `tag` in the repository now, or null. The list
 * search matches tag prefixes, so the exact tag is looked for among the matches; a few
 * pages cover any realistic number of tags sharing a prefix.
 */
async function tagHolder(
  namespace: string,
  repository: string,
  tag: string,
  signal: AbortSignal,
): Promise<string | null> {
  let cursor: string | undefined;
  for (let page = 0; page < 5; page += 1) {
    const answer = await apiRequest(apiPaths.images(namespace, repository), imageList, {
      query: { q: tag, limit: MAX_PAGE_SIZE, cursor },
      signal,
    }).catch((error: unknown) => {
      // A repository whose every image is in the trash may be gone: then nothing holds it.
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    });
    if (!answer) return null;
    const holder = answer.items.find((image) => image.tags.includes(tag));
    if (holder) return holder.digest;
    if (!answer.nextCursor) return null;
    cursor = answer.nextCursor;
  }
  return null;
}

/** For each tag, the image that holds it now in the repository (null: none does). */
export function useTagHolders(namespace: string, repository: string, tags: readonly string[]) {
  const results = useQueries({
    queries: tags.map((tag) => ({
      queryKey: queryKeys.images.tagHolder(namespace, repository, tag),
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        tagHolder(namespace, repository, tag, signal),
      staleTime: 0,
    })),
  });
  const holders = new Map<string, string | null>();
  tags.forEach((tag, index) => {
    const result = results[index];
    if (result?.isSuccess) holders.set(tag, result.data);
  });
  return {
    holders,
    isPending: results.some((result) => result.isPending),
    error: (results.find((result) => result.error)?.error as ApiError | null | undefined) ?? null,
  };
}

/**
 * What changes when images move between a repository and the trash, in either direction.
 * `'all'`: the answer does not say which repositories moved, so every image list of the
 * namespace is stale (invalidation only refetches the ones on screen).
 */
export async function invalidateImageMoves(
  queryClient: QueryClient,
  namespace: string,
  repositories: Iterable<string> | 'all',
) {
  const imageLists =
    repositories === 'all'
      ? [queryKeys.images.inNamespace(namespace)]
      : [...new Set(repositories)].map((repository) =>
          queryKeys.images.inRepository(namespace, repository),
        );
  await Promise.all([
    ...imageLists.map((queryKey) => queryClient.invalidateQueries({ queryKey })),
    queryClient.invalidateQueries({ queryKey: queryKeys.repositories.inNamespace(namespace) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.trash.inNamespace(namespace) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.all() }),
  ]);
}

export interface DeleteImagesInput {
  namespace: string;
  images: ImageRef[];
}

export function useDeleteImages() {
  const queryClient = useQueryClient();
  return useMutation<ImagesTrashed, ApiError, DeleteImagesInput>({
    mutationFn: ({ namespace, images }) =>
      apiRequest(apiPaths.imagesDelete(namespace), imagesTrashed, {
        method: 'POST',
        body: { images },
      }),
    onSuccess: (_result, { namespace, images }) =>
      invalidateImageMoves(
        queryClient,
        namespace,
        images.map((image) => image.repository),
      ),
  });
}

export interface UntagInput {
  namespace: string;
  repository: string;
  tag: string;
}

export function useUntag() {
  const queryClient = useQueryClient();
  return useMutation<Untagged, ApiError, UntagInput>({
    mutationFn: ({ namespace, repository, tag }) =>
      apiRequest(apiPaths.tag(namespace, repository, tag), untagged, { method: 'DELETE' }),
    // Untagging changes no counts or sizes: only this repository's image rows.
    onSuccess: (_result, { namespace, repository }) =>
      queryClient.invalidateQueries({
        queryKey: queryKeys.images.inRepository(namespace, repository),
      }),
  });
}
