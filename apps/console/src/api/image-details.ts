import { apiPaths, imageDetails, type ImageDetails } from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, apiText, type ApiError } from './client';
import { queryKeys } from './query-keys';

export function useImageDetails(namespace: string, repository: string, digest: string) {
  return useQuery<ImageDetails, ApiError>({
    queryKey: queryKeys.images.detail(namespace, repository, digest),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.image(namespace, repository, digest), imageDetails, { signal }),
  });
}

/** Fetched only once someone opens the manifest: most visits never need it. */
export function useImageManifest(
  namespace: string,
  repository: string,
  digest: string,
  enabled: boolean,
) {
  return useQuery<string, ApiError>({
    queryKey: queryKeys.images.manifest(namespace, repository, digest),
    queryFn: ({ signal }) => apiText(apiPaths.imageManifest(namespace, repository, digest), signal),
    enabled,
    staleTime: Infinity,
  });
}
