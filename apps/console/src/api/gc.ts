import { apiPaths, gcReport, type GcReport } from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/**
 * What a garbage collection would free, asked for only once the person wants to know
 * (`enabled`): a dry run walks every blob. A POST that changes nothing, so it is a query: it
 * is dropped when the page closes, a figure from an earlier visit would be out of date.
 */
export function useGcDryRun(enabled: boolean) {
  return useQuery<GcReport, ApiError>({
    queryKey: queryKeys.gc.dryRun(),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.gcRuns(), gcReport, { method: 'POST', body: { dryRun: true }, signal }),
    enabled,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
}

/** Admins only. Removes files for good; a run with anything to remove is in the audit log. */
export function useRunGc() {
  const queryClient = useQueryClient();
  return useMutation<GcReport, ApiError, void>({
    mutationFn: () =>
      apiRequest(apiPaths.gcRuns(), gcReport, { method: 'POST', body: { dryRun: false } }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.gc.dryRun() }),
        queryClient.invalidateQueries({ queryKey: queryKeys.audit.all() }),
      ]),
  });
}
