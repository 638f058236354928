import {
  apiPaths,
  repositoriesTrashed,
  repositoryList,
  type RepositoriesTrashed,
} from '@berth/contract';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { invalidateImageMoves } from './images';
import { apiRequest, type ApiError } from './client';
import { queryKeys, type RepositoryListParams } from './query-keys';

export function useRepositoryList(namespace: string, params: RepositoryListParams) {
  return useCursorList({
    queryKey: queryKeys.repositories.list(namespace, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.repositories(namespace), repositoryList, {
        query: { q: params.q, sort: params.sort, order: params.order, cursor },
        signal,
      }),
    enabled: namespace !== '',
  });
}

export interface DeleteRepositoriesInput {
  namespace: string;
  repositories: string[];
}

export function useDeleteRepositories() {
  const queryClient = useQueryClient();
  return useMutation<RepositoriesTrashed, ApiError, DeleteRepositoriesInput>({
    mutationFn: ({ namespace, repositories }) =>
      repositories.length === 1 && repositories[0] !== undefined
        ? apiRequest(apiPaths.repository(namespace, repositories[0]), repositoriesTrashed, {
            method: 'DELETE',
          })
        : apiRequest(apiPaths.repositoriesDelete(namespace), repositoriesTrashed, {
            method: 'POST',
            body: { repositories },
          }),
    onSuccess: (_result, { namespace, repositories }) =>
      invalidateImageMoves(queryClient, namespace, repositories),
  });
}
