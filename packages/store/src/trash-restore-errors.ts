import { ConflictError, NotFoundError } from '@berth/domain';

/** Refusals of a restore of many images whose set turned out empty. */

export function nothingToRestore(namespace: string, repository: string): NotFoundError {
  return new NotFoundError(
    'TRASH_ENTRY_UNKNOWN',
    `the trash of ${namespace}/${repository} holds nothing to restore (restored already, or past its 30 days)`,
    { repository },
  );
}

export function runNotInTrash(runId: number): ConflictError {
  return new ConflictError(
    'RUN_NOT_IN_TRASH',
    `nothing retention run ${runId} deleted is in the trash any more (restored or deleted permanently)`,
  );
}
