import {
  apiPaths,
  retentionPolicy,
  retentionPreview,
  retentionPreviewItems,
  retentionPreviewRepositories,
  type RetentionPreviewRepositories,
  retentionRunList,
  retentionRunRestored,
  retentionRunResult,
  type RetentionPolicy,
  type RetentionPolicyBody,
  type RetentionPreview,
  type RetentionRulesInput,
  type RetentionRunRestored,
  type RetentionRunResult,
} from '@berth/contract';
import {
  keepPreviousData,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, type ApiError } from './client';
import { invalidateImageMoves } from './images';
import { requestBulk, type BulkAnswer } from './operations';
import {
  queryKeys,
  type RetentionPreviewItemsParams,
  type RetentionPreviewRepositoriesParams,
} from './query-keys';

export function useRetentionPolicy(namespace: string) {
  return useQuery<RetentionPolicy, ApiError>({
    queryKey: queryKeys.retention.policy(namespace),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.retentionPolicy(namespace), retentionPolicy, { signal }),
  });
}

export interface SavePolicyInput {
  namespace: string;
  body: RetentionPolicyBody;
}

export function useSaveRetentionPolicy() {
  const queryClient = useQueryClient();
  return useMutation<RetentionPolicy, ApiError, SavePolicyInput>({
    mutationFn: ({ namespace, body }) =>
      apiRequest(apiPaths.retentionPolicy(namespace), retentionPolicy, {
        method: 'PUT',
        body,
      }),
    // The answer is the policy as stored, next run included: no need to ask again.
    onSuccess: (saved, { namespace }) =>
      queryClient.setQueryData(queryKeys.retention.policy(namespace), saved),
  });
}

export interface CreatePreviewInput {
  namespace: string;
  /** Omitted: the saved policy is previewed. */
  rules?: RetentionRulesInput;
}

/** A preview changes nothing, so it invalidates nothing; the page keeps the answer. */
export function useCreateRetentionPreview() {
  return useMutation<RetentionPreview, ApiError, CreatePreviewInput>({
    mutationFn: ({ namespace, rules }) =>
      apiRequest(apiPaths.retentionPreviews(namespace), retentionPreview, {
        method: 'POST',
        body: rules ? { rules } : {},
      }),
  });
}

/**
 * One page of a preview's repositories. The page before stays on screen while the next loads,
 * so paging and searching do not flash the table away.
 */
export function useRetentionPreviewRepositories(
  namespace: string,
  previewId: string,
  params: RetentionPreviewRepositoriesParams,
) {
  return useQuery<RetentionPreviewRepositories, ApiError>({
    queryKey: queryKeys.retention.previewRepositories(namespace, previewId, params),
    queryFn: ({ signal }) =>
      apiRequest(
        apiPaths.retentionPreviewRepositories(namespace, previewId),
        retentionPreviewRepositories,
        { query: { q: params.q || undefined, offset: params.offset, limit: params.limit }, signal },
      ),
    placeholderData: keepPreviousData,
  });
}

export function useRetentionPreviewItems(
  namespace: string,
  previewId: string,
  params: RetentionPreviewItemsParams,
) {
  return useCursorList({
    queryKey: queryKeys.retention.previewItems(namespace, previewId, params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.retentionPreviewItems(namespace, previewId), retentionPreviewItems, {
        query: { repository: params.repository, decision: params.decision, cursor },
        signal,
      }),
  });
}

export function useRetentionRuns(namespace: string) {
  return useCursorList({
    queryKey: queryKeys.retention.runs(namespace),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.retentionRuns(namespace), retentionRunList, {
        query: { cursor },
        signal,
      }),
  });
}

/** Preview rows show each image's state now, and the run list its counts: both move. */
function invalidateRetentionRuns(queryClient: QueryClient, namespace: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.retention.runs(namespace) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.retention.previews(namespace) }),
  ]);
}

export interface ConfirmPreviewInput {
  namespace: string;
  preview: RetentionPreview;
}

/**
 * A confirm of more than one chunk becomes an operation (202): its run shows as running in
 * the history at once, and the images move as its chunks commit.
 */
export function useConfirmRetentionPreview() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RetentionRunResult>, ApiError, ConfirmPreviewInput>({
    mutationFn: ({ namespace, preview }) =>
      requestBulk(apiPaths.retentionRuns(namespace), retentionRunResult, {
        method: 'POST',
        body: { previewId: preview.id },
      }),
    onSuccess: (answer, { namespace }) => {
      if (answer.kind === 'accepted') return invalidateRetentionRuns(queryClient, namespace);
      const { deleted, run } = answer.result;
      // `deleted` names every image unless the run deleted more than it lists: then any image
      // list of the namespace may have lost some.
      const listed = deleted.length === run.deletedImages;
      return Promise.all([
        invalidateImageMoves(
          queryClient,
          namespace,
          listed ? deleted.map((image) => image.repository) : 'all',
        ),
        invalidateRetentionRuns(queryClient, namespace),
      ]);
    },
  });
}

export interface RestoreRunInput {
  namespace: string;
  runId: string;
}

export function useRestoreRetentionRun() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<RetentionRunRestored>, ApiError, RestoreRunInput>({
    mutationFn: ({ namespace, runId }) =>
      requestBulk(apiPaths.retentionRunRestore(namespace, runId), retentionRunRestored, {
        method: 'POST',
      }),
    // The answer does not say which repositories got images back.
    onSettled: (_result, _error, { namespace }) =>
      Promise.all([
        invalidateImageMoves(queryClient, namespace, 'all'),
        invalidateRetentionRuns(queryClient, namespace),
      ]),
  });
}
