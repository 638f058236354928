import {
  apiPaths,
  repositoriesTrashed,
  repositoryList,
  type RepositoriesTrashed,
  type RepositoryList,
} from '@berth/contract';
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQueryClient,
  type InfiniteData,
} from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys, type RepositoryListParams } from './query-keys';

export function useRepositoryList(namespace: string, params: RepositoryListParams) {
  return useInfiniteQuery<
    RepositoryList,
    ApiError,
    InfiniteData<RepositoryList>,
    ReturnType<typeof queryKeys.repositories.list>,
    string | undefined
  >({
    queryKey: queryKeys.repositories.list(namespace, params),
    queryFn: ({ pageParam, signal }) =>
      apiRequest(apiPaths.repositories(namespace), repositoryList, {
        query: { q: params.q, sort: params.sort, order: params.order, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Keep showing the current rows while a new search or sort loads.
    placeholderData: keepPreviousData,
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
    onSuccess: async (_result, { namespace, repositories }) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.repositories.inNamespace(namespace) }),
        ...repositories.map((repository) =>
          queryClient.invalidateQueries({
            queryKey: queryKeys.images.inRepository(namespace, repository),
          }),
        ),
        queryClient.invalidateQueries({ queryKey: queryKeys.trash.inNamespace(namespace) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.all() }),
      ]);
    },
  });
}
