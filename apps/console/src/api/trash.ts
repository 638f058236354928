import {
  apiPaths,
  restoreManyResult,
  restoreResult,
  trashList,
  trashRepositories,
  type TrashRepositories,
  type RestoreBody,
  type RestoreManyBody,
  type RestoreResult,
  type RestoreManyResult,
} from '@berth/contract';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, type ApiError } from './client';
import { invalidateImageMoves } from './images';
import { requestBulk, type BulkAnswer } from './operations';
import { queryKeys, type TrashListParams } from './query-keys';

export function useTrashList(namespace: string, params: TrashListParams) {
  return useCursorList({
    queryKey: queryKeys.trash.list(namespace, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.trash(namespace), trashList, {
        query: {
          repository: params.repository,
          retentionRun: params.retentionRun,
          q: params.q,
          cursor,
        },
        signal,
      }),
    enabled: namespace !== '',
  });
}

/** Repositories with images in the trash whose name contains `q`: the filter's suggestions. */
export function useTrashRepositories(namespace: string, q: string) {
  return useQuery<TrashRepositories, ApiError>({
    queryKey: queryKeys.trash.repositories(namespace, q),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.trashRepositories(namespace), trashRepositories, {
        query: { q, limit: 20 },
        signal,
      }),
    enabled: namespace !== '',
    placeholderData: keepPreviousData,
  });
}

export interface RestoreInput {
  namespace: string;
  body: RestoreBody;
}

export function useRestore() {
  const queryClient = useQueryClient();
  return useMutation<RestoreResult, ApiError, RestoreInput>({
    mutationFn: ({ namespace, body }) =>
      apiRequest(apiPaths.trashRestore(namespace), restoreResult, { method: 'POST', body }),
    onSuccess: (_result, { namespace, body }) =>
      invalidateImageMoves(queryClient, namespace, [body.repository]),
  });
}

export interface RestoreRepositoryInput {
  namespace: string;
  repository: string;
}

/** Everything of one repository still in the trash, in one action (Undo of a repository delete). */
export function useRestoreRepository() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RestoreManyResult>, ApiError, RestoreRepositoryInput>({
    mutationFn: ({ namespace, repository }) =>
      requestBulk(apiPaths.trashRestoreRepository(namespace), restoreManyResult, {
        method: 'POST',
        body: { repository },
      }),
    onSuccess: (answer, { namespace, repository }) =>
      answer.kind === 'done'
        ? invalidateImageMoves(queryClient, namespace, [repository])
        : undefined,
  });
}

export interface RestoreSelectionInput {
  namespace: string;
  items: RestoreManyBody['items'];
}

/** The rows selected in the trash view: all of them come back or none does. */
export function useRestoreSelection() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RestoreManyResult>, ApiError, RestoreSelectionInput>({
    mutationFn: ({ namespace, items }) =>
      requestBulk(apiPaths.trashRestoreMany(namespace), restoreManyResult, {
        method: 'POST',
        body: { items },
      }),
    onSuccess: (answer, { namespace, items }) =>
      answer.kind === 'done'
        ? invalidateImageMoves(
            queryClient,
            namespace,
            items.map((item) => item.repository),
          )
        : undefined,
  });
}
