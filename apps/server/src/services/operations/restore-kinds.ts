import {
  RESTORE_RESULT_LISTED,
  type RestoreManyResult,
  type RetentionRunRestored,
} from '@berth/contract';
import { failRestoreOperation, finishRestoreOperation, restoreOperationChunk } from '@berth/store';
import type { OperationKindRunner, OperationRunner } from './operation-runner.js';

/**
 * The kinds of operation that restore sets of images from the trash: a repository's whole
 * trash ('trash.restore') and what a retention run deleted ('retention.run.restore'). Their
 * result is the body the endpoint answers when the set fits in one chunk.
 */
export function registerRestoreKinds(runner: OperationRunner): void {
  const kind: OperationKindRunner = {
    turnsWithinChunk: true,
    chunk: (trx, op, budget, now) =>
      restoreOperationChunk(trx, op, budget, now, RESTORE_RESULT_LISTED),
    async finish(trx, op, now) {
      const done = await finishRestoreOperation(trx, op, now);
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
    failed: failRestoreOperation,
  };
  runner.register('trash.restore', kind);
  runner.register('retention.run.restore', kind);
}
