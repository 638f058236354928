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
