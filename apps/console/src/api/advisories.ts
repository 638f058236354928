import { advisoryDataStatus, apiPaths, type AdvisoryDataStatus } from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** How much advisory data vulnerability matching has, and how old it is. */
export function useAdvisoryData() {
  return useQuery<AdvisoryDataStatus, ApiError>({
    queryKey: queryKeys.advisories(),
    queryFn: ({ signal }) => apiRequest(apiPaths.advisories(), advisoryDataStatus, { signal }),
  });
}
