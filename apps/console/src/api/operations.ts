import {
  apiPaths,
  operation,
  operationAccepted,
  operationList,
  type Operation,
  type OperationList,
} from '@berth/contract';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest, type ApiError } from './client';
import { invalidateImageMoves } from './images';
import { forgetDeletedNamespace } from './namespace-removal';
import { queryKeys } from './query-keys';

/** How often a running operation is asked about: a progress bar that moves, not a flood. */
export const OPERATION_POLL_MS = 500;

/**
 * What a bulk endpoint answered: its result (200/201, the set fitted in one chunk) or the
 * operation it became (202), which the console follows until it ends.
 */
export type BulkAnswer<T> =
  { kind: 'done'; result: T } | { kind: 'accepted'; operation: Operation };

/**
 * The schema for either answer. The operation is tried first: no result body has an
 * `operation` field, so a 202 is never mistaken for a result or the other way round.
 */
export function bulkAnswer<S extends z.ZodType>(result: S) {
  return z.union([
    operationAccepted.transform(({ operation: accepted }): BulkAnswer<z.output<S>> => ({
      kind: 'accepted',
      operation: accepted,
    })),
    result.transform((body): BulkAnswer<z.output<S>> => ({ kind: 'done', result: body })),
  ]);
}

export function requestBulk<S extends z.ZodType>(
  path: string,
  result: S,
  options: Parameters<typeof apiRequest>[2],
): Promise<BulkAnswer<z.output<S>>> {
  return apiRequest(path, bulkAnswer(result), options);
}

/**
 * An operation's result, once it succeeded, read with the schema of the body its endpoint
 * answers for a small set; null when there is none or it does not fit that schema.
 */
export function operationResult<S extends z.ZodType>(
  finished: Operation,
  result: S,
): z.output<S> | null {
  if (finished.state !== 'succeeded') return null;
  const parsed = result.safeParse(finished.result);
  return parsed.success ? parsed.data : null;
}

/**
 * One operation, asked again every half second while it runs, never after it ended. A
 * network failure or 5xx is asked about again, more slowly (the work goes on server-side);
 * a 4xx will not change by asking.
 */
export function useOperation(id: string) {
  return useQuery<Operation, ApiError>({
    queryKey: queryKeys.operations.detail(id),
    queryFn: ({ signal }) => apiRequest(apiPaths.operation(id), operation, { signal }),
    refetchInterval: (query) => {
      const { data, error } = query.state;
      if (error) return error.status >= 400 && error.status < 500 ? false : 4 * OPERATION_POLL_MS;
      return data?.state === 'running' ? OPERATION_POLL_MS : false;
    },
  });
}

/**
 * How often the running list is asked again while a page shows it: often enough that a delete
 * started in another tab, or by the CLI, shows within seconds. Each operation it finds is then
 * polled on its own (OPERATION_POLL_MS); the list only discovers new ones, so it is asked less
 * often, and less often still when nothing runs (coming back to the tab asks at once as well).
 */
export const RUNNING_LIST_POLL_MS = { busy: 3_000, idle: 15_000 } as const;

/**
 * When to ask for the running list again after an answer: sooner while something runs. After
 * a network failure or 5xx it is asked again slowly (the page says it failed meanwhile); a 4xx
 * will not change by asking.
 */
export function runningListInterval(
  data: OperationList | undefined,
  error: ApiError | null,
): number | false {
  if (error) return error.status >= 400 && error.status < 500 ? false : RUNNING_LIST_POLL_MS.idle;
  return data && data.items.length > 0 ? RUNNING_LIST_POLL_MS.busy : RUNNING_LIST_POLL_MS.idle;
}

/**
 * The operations still running, of one namespace or of all the caller can see: how a page
 * opened (or reloaded) during bulk work finds it and shows its progress, and how an open page
 * finds work started elsewhere. Polled only while a page shows it and its tab is visible.
 */
export function useRunningOperations(namespace: string | undefined) {
  return useQuery<OperationList, ApiError>({
    queryKey: queryKeys.operations.running(namespace),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.operations(), operationList, {
        query: { namespace, state: 'running', limit: 100 },
        signal,
      }),
    // Asked on every visit: an operation started elsewhere must show on arrival.
    staleTime: 0,
    refetchInterval: (query) => runningListInterval(query.state.data, query.state.error),
    // Back from another tab, where a delete may just have been started.
    refetchOnWindowFocus: true,
    enabled: namespace !== '',
  });
}

/**
 * The running lists an operation shows in: its namespace's and the one of every namespace.
 * Asked again when one starts here (a 202) and when one ends.
 */
export async function invalidateRunningOperations(queryClient: QueryClient, namespace: string) {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.operations.running(namespace) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.operations.running(undefined) }),
  ]);
}

/**
 * What an ended operation changed. Chunks commit as they go, so this holds for a failed
 * one too (its undoing is work of its own). Repository names of a bulk delete are not all
 * in the operation, so every image list of the namespace is stale; only those on screen
 * refetch.
 */
export async function invalidateAfterOperation(queryClient: QueryClient, ended: Operation) {
  const { namespace } = ended;
  if (ended.kind === 'namespace.delete' && ended.state === 'succeeded') {
    await Promise.all([
      forgetDeletedNamespace(queryClient, namespace),
      queryClient.invalidateQueries({ queryKey: queryKeys.operations.running(undefined) }),
    ]);
    return;
  }
  await Promise.all([
    invalidateImageMoves(queryClient, namespace, 'all'),
    queryClient.invalidateQueries({ queryKey: queryKeys.retention.runs(namespace) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.retention.previews(namespace) }),
    invalidateRunningOperations(queryClient, namespace),
  ]);
}

/**
 * An operation as last fetched, without asking for it: what a progress bar reads while
 * the one follower (app/OperationsProvider) does the polling.
 */
export function useOperationSnapshot(id: string) {
  return useQuery<Operation, ApiError>({
    queryKey: queryKeys.operations.detail(id),
    queryFn: ({ signal }) => apiRequest(apiPaths.operation(id), operation, { signal }),
    enabled: false,
  });
}
