import {
  apiPaths,
  restoreResult,
  trashList,
  type RestoreBody,
  type RestoreResult,
} from '@berth/contract';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, toApiError, type ApiError } from './client';
import { invalidateImageMoves } from './images';
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
