import {
  apiPaths,
  restoreManyResult,
  restoreResult,
  trashList,
  type RestoreBody,
  type RestoreManyBody,
  type RestoreResult,
  type RestoreManyResult as RestoredSet,
} from '@berth/contract';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, toApiError, type ApiError } from './client';
import { invalidateImageMoves } from './images';
import { requestBulk, type BulkAnswer } from './operations';
import { queryKeys, type TrashListParams } from './query-keys';

export function useTrashList(namespace: string, params: TrashListParams) {
  return useCursorList({
    queryKey: queryKeys.trash.list(namespace, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.trash(namespace), trashList, {
        query: { repository: params.repository, retentionRun: params.retentionRun, cursor },
        signal,
      }),
    enabled: namespace !== '',
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

export interface RestoreManyInput {
  namespace: string;
  images: { repository: string; digest: string }[];
}

export interface RestoreManyResult {
  results: RestoreResult[];
  failures: { repository: string; digest: string; error: ApiError }[];
}

/**
 * Undo after a delete: the API restores one image per call, so restore each and report
 * every outcome instead of stopping at the first failure.
 */
export function useRestoreMany() {
  const queryClient = useQueryClient();
  return useMutation<RestoreManyResult, ApiError, RestoreManyInput>({
    mutationFn: async ({ namespace, images }) => {
      const results: RestoreResult[] = [];
      const failures: RestoreManyResult['failures'] = [];
      for (const image of images) {
        try {
          results.push(
            await apiRequest(apiPaths.trashRestore(namespace), restoreResult, {
              method: 'POST',
              body: { repository: image.repository, digest: image.digest },
            }),
          );
        } catch (error) {
          failures.push({ ...image, error: toApiError(error) });
        }
      }
      return { results, failures };
    },
    onSettled: (_result, _error, { namespace, images }) =>
      invalidateImageMoves(
        queryClient,
        namespace,
        images.map((image) => image.repository),
      ),
  });
}

export interface RestoreRepositoryInput {
  namespace: string;
  repository: string;
}

/** Everything of one repository still in the trash, in one action (Undo of a repository delete). */
export function useRestoreRepository() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RestoredSet>, ApiError, RestoreRepositoryInput>({
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
  return useMutation<BulkAnswer<RestoredSet>, ApiError, RestoreSelectionInput>({
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
