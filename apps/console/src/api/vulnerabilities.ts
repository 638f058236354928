import {
  apiPaths,
  namespaceVulnerabilities,
  registryVulnerabilities,
  type NamespaceVulnerabilities,
  type RegistryVulnerabilities,
} from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** A namespace's vulnerability totals, from each live image's newest scan. */
export function useNamespaceVulnerabilities(namespace: string) {
  return useQuery<NamespaceVulnerabilities, ApiError>({
    queryKey: queryKeys.namespaces.vulnerabilities.namespace(namespace),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.namespaceVulnerabilities(namespace), namespaceVulnerabilities, {
        signal,
      }),
  });
}

/** Totals over the namespaces the caller may read in `region`, and each namespace's. */
export function useRegistryVulnerabilities(region: string | undefined) {
  return useQuery<RegistryVulnerabilities, ApiError>({
    queryKey: queryKeys.namespaces.vulnerabilities.registry(region),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.vulnerabilities(), registryVulnerabilities, {
        query: { region },
        signal,
      }),
    enabled: region !== undefined,
  });
}
