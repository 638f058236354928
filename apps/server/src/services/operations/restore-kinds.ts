import {
  RESTORE_RESULT_LISTED,
  type RestoreManyResult,
  type RetentionRunRestored,
} from '@berth/contract';
import {
  type Db,
  type OperationRecord,
  failRestoreOperation,
  finishRestoreOperation,
  restoreOperationChunk,
} from '@berth/store';
import type { Clock } from '../deps.js';
import type { OperationRunner } from './operation-runner.js';

/**
 * The kinds of operation that restore sets of images from the trash: a repository's whole
 * trash ('trash.restore') and what a retention run deleted ('retention.run.restore'). Their
 * result is the body the endpoint answers when the set fits in one chunk.
 */
export function registerRestoreKinds(runner: OperationRunner, clock: Clock): void {
  const kind = {
    chunk: (trx: Db, op: OperationRecord, budget: number) =>
      restoreOperationChunk(trx, op, budget, clock(), RESTORE_RESULT_LISTED),
    async finish(trx: Db, op: OperationRecord) {
      const done = await finishRestoreOperation(trx, op, clock());
      if (done.scope === 'repository') {
        const { scope: _scope, ...body } = done;
        return body satisfies RestoreManyResult;
      }
      return {
        runId: String(done.runId),
        restored: done.tally.restored,
        notInTrash: done.notInTrash,
        skippedTags: done.tally.skippedTags,
      } satisfies RetentionRunRestored;
    },
    failed: (trx: Db, op: OperationRecord, error: { code: string; message: string }) =>
      failRestoreOperation(trx, op, error, clock()),
  };
  runner.register('trash.restore', kind);
  runner.register('retention.run.restore', kind);
}
