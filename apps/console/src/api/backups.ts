import { apiPaths, backupStatus, type BackupStatus } from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** Scheduled backups: the schedule, the last successful backup and recent runs. */
export function useBackupStatus() {
  return useQuery<BackupStatus, ApiError>({
    queryKey: queryKeys.backups(),
    queryFn: ({ signal }) => apiRequest(apiPaths.backups(), backupStatus, { signal }),
  });
}
