import {
  apiPaths,
  repositoriesTrashed,
  repositoryList,
  type RepositoriesTrashed,
  type RepositoryList,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { invalidateImageMoves } from './images';
import { apiRequest, type ApiError } from './client';
import { requestBulk, type BulkAnswer } from './operations';
import { queryKeys, type RepositoryListParams } from './query-keys';

/** How often a list with a repository being deleted is asked again: its counts go down. */
export const COUNTS_POLL_MS = 2_000;

/**
 * `counting`: a repository shown is being deleted, so its image count (committed chunk by
 * chunk on the server) is asked again every COUNTS_POLL_MS until the delete ends.
 */
export function useRepositoryList(
  namespace: string,
  params: RepositoryListParams,
  { counting = false }: { counting?: boolean } = {},
) {
  return useCursorList({
    queryKey: queryKeys.repositories.list(namespace, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.repositories(namespace), repositoryList, {
        query: { q: params.q, sort: params.sort, order: params.order, cursor },
        signal,
      }),
    enabled: namespace !== '',
    refetchInterval: counting ? COUNTS_POLL_MS : false,
  });
}

/**
 * The `count` largest repositories of a namespace: one page sorted by size, which the store
 * answers from its index on the maintained repository sizes, never by reading every image.
 */
export function useLargestRepositories(namespace: string, count: number) {
  return useQuery<RepositoryList, ApiError>({
    queryKey: queryKeys.repositories.largest(namespace, count),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.repositories(namespace), repositoryList, {
        query: { sort: 'sizeBytes', order: 'desc', limit: count },
        signal,
      }),
    enabled: namespace !== '',
  });
}

export interface DeleteRepositoriesInput {
  namespace: string;
  repositories: string[];
}

/**
 * A repository larger than one chunk is deleted as an operation (202); the lists it changes
 * are refreshed when that ends (app/OperationsProvider), not now.
 */
export function useDeleteRepositories() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RepositoriesTrashed>, ApiError, DeleteRepositoriesInput>({
    mutationFn: ({ namespace, repositories }) =>
      repositories.length === 1 && repositories[0] !== undefined
        ? requestBulk(apiPaths.repository(namespace, repositories[0]), repositoriesTrashed, {
            method: 'DELETE',
          })
        : requestBulk(apiPaths.repositoriesDelete(namespace), repositoriesTrashed, {
            method: 'POST',
            body: { repositories },
          }),
    onSuccess: (answer, { namespace, repositories }) =>
      answer.kind === 'done'
        ? invalidateImageMoves(queryClient, namespace, repositories)
        : undefined,
  });
}
