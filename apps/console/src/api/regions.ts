import { apiPaths, regionList } from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

export function useRegions() {
  return useQuery<ReturnType<typeof regionList.parse>, ApiError>({
    queryKey: queryKeys.regions(),
    queryFn: ({ signal }) => apiRequest(apiPaths.regions(), regionList, { signal }),
    staleTime: 5 * 60_000,
  });
}

/**
 * The host people push to and pull from, as the server names it (`registryHost`): the pull
 * commands, the login hint and image pointers all use this one. The page's own host until the
 * answer is in (the console is served by the registry itself).
 */
export function useRegistryHost(): string {
  return useRegions().data?.registryHost ?? window.location.host;
}
