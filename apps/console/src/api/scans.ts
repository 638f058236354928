import {
  apiPaths,
  findingList,
  imageScan,
  scanRequested,
  type FindingList,
  type ImageScan,
  type ScanRequested,
} from '@berth/contract';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys, type FindingsParams } from './query-keys';

/** While a scan waits or runs, ask again every few seconds: it ends without anyone clicking. */
const WHILE_QUEUED_MS = 3_000;

const waiting = (scan: ImageScan | undefined) =>
  scan !== undefined && (scan.queued || scan.platforms.some((p) => p.queued));

export function useImageScan(namespace: string, repository: string, digest: string) {
  return useQuery<ImageScan, ApiError>({
    queryKey: queryKeys.images.scan(namespace, repository, digest),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.imageScan(namespace, repository, digest), imageScan, { signal }),
    refetchInterval: (query) => (waiting(query.state.data) ? WHILE_QUEUED_MS : false),
  });
}

export function useFindings(
  namespace: string,
  repository: string,
  digest: string,
  params: FindingsParams,
  enabled: boolean,
) {
  return useQuery<FindingList, ApiError>({
    queryKey: queryKeys.images.findings(namespace, repository, digest, params),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.imageFindings(namespace, repository, digest), findingList, {
        query: {
          severity: params.severity || undefined,
          q: params.q || undefined,
          platform: params.platform || undefined,
          offset: params.offset,
          limit: params.limit,
        },
        signal,
      }),
    enabled,
    placeholderData: keepPreviousData,
  });
}

/** Queues a scan; the image's scan (and with it its findings) is asked for again. */
export function useRequestScan(namespace: string, repository: string, digest: string) {
  const queryClient = useQueryClient();
  return useMutation<ScanRequested, ApiError, void>({
    mutationFn: () =>
      apiRequest(apiPaths.imageScan(namespace, repository, digest), scanRequested, {
        method: 'POST',
      }),
    onSuccess: () =>
      queryClient.invalidateQueries({
        queryKey: queryKeys.images.scan(namespace, repository, digest),
      }),
  });
}
