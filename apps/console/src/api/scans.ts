import {
  apiPaths,
  findingList,
  imageScan,
  sbomAttached,
  scanRequested,
  type FindingList,
  type ImageScan,
  type SbomAttached,
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

/**
 * Queues a scan; the image's scan (and with it its findings) is asked for again, and the
 * vulnerability totals, which count it as queued.
 */
export function useRequestScan(namespace: string, repository: string, digest: string) {
  const queryClient = useQueryClient();
  return useMutation<ScanRequested, ApiError, void>({
    mutationFn: () =>
      apiRequest(apiPaths.imageScan(namespace, repository, digest), scanRequested, {
        method: 'POST',
      }),
    onSuccess: () =>
      Promise.all(
        [
          queryKeys.images.scan(namespace, repository, digest),
          queryKeys.namespaces.vulnerabilities.all(),
        ].map((queryKey) => queryClient.invalidateQueries({ queryKey })),
      ),
  });
}

/**
 * Attaches the newest scan's inventory to the image as an OCI referrer (per platform for an
 * index). What shows it is asked for again: the scan (its attached SBOM), the details of each
 * manifest it is about (their referrers: the image's own page, or an index's platform images'),
 * the repository's image lists (their trust column), and the trash when SBOMs of older scans
 * went there.
 */
export function useAttachSbom(namespace: string, repository: string, digest: string) {
  const queryClient = useQueryClient();
  return useMutation<SbomAttached, ApiError, void>({
    mutationFn: () =>
      apiRequest(apiPaths.imageSbomAttach(namespace, repository, digest), sbomAttached, {
        method: 'POST',
      }),
    onSuccess: (result) => {
      // The image itself, or an index's platform images: the SBOMs' subjects.
      const subjects = result.attached.map((a) => a.subject);
      const keys = [
        queryKeys.images.scan(namespace, repository, digest),
        ...subjects.map((d) => queryKeys.images.detail(namespace, repository, d)),
        queryKeys.images.lists(namespace, repository),
        ...(result.attached.some((a) => a.replaced.length > 0)
          ? [queryKeys.trash.inNamespace(namespace)]
          : []),
      ];
      return Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
    },
  });
}
