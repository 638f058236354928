import {
  apiPaths,
  imageList,
  imagesTrashed,
  untagged,
  type ImageRef,
  type ImagesTrashed,
  type Untagged,
} from '@berth/contract';
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, type ApiError } from './client';
import { queryKeys, type ImageListParams } from './query-keys';

export function useImageList(namespace: string, repository: string, params: ImageListParams) {
  return useCursorList({
    queryKey: queryKeys.images.list(namespace, repository, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.images(namespace, repository), imageList, {
        query: { q: params.q, sort: params.sort, order: params.order, cursor },
        signal,
      }),
  });
}

/** What changes when images move between a repository and the trash, in either direction. */
export async function invalidateImageMoves(
  queryClient: QueryClient,
  namespace: string,
  repositories: Iterable<string>,
) {
  await Promise.all([
    ...[...new Set(repositories)].map((repository) =>
      queryClient.invalidateQueries({
        queryKey: queryKeys.images.inRepository(namespace, repository),
      }),
    ),
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
