import {
  type Store,
  failRepositoryDelete,
  failRetentionRun,
  finishNamespaceDelete,
  namespaceDeleteChunk,
  finishRepositoryDelete,
  finishRetentionRun,
  repositoryDeleteChunk,
  repositoryDeleteItems,
  retentionRunChunk,
  undoTrashingChunk,
} from '@berth/store';
import type { OperationRunner } from './operation-runner.js';
import { outcomeView } from '../retention/retention-service.js';
import { iso } from '../iso.js';

/**
 * The kinds of operation that delete sets of images (to the trash, or with their namespace),
 * registered with the runner. `finishBlobDeletion` removes the files of blobs a namespace
 * delete marked (phase 2 of blob deletion). A repository delete or a retention confirm that
 * fails is undone (what it had moved comes back from the trash); a namespace delete cannot be,
 * so it must get to its end.
 */
export function registerTrashKinds(
  runner: OperationRunner,
  store: Store,
  finishBlobDeletion: () => Promise<unknown>,
): void {
  runner.register('repository.delete', {
    // trashImages gives the event loop a turn between its statements.
    turnsWithinChunk: true,
    items: repositoryDeleteItems,
    chunk: repositoryDeleteChunk,
    finish: finishRepositoryDelete,
    undo: undoTrashingChunk,
    failed: failRepositoryDelete,
  });
  runner.register('retention.confirm', {
    turnsWithinChunk: true,
    chunk: retentionRunChunk,
    // The result is the confirm endpoint's body: the run with what it deleted and skipped.
    async finish(trx, op, now) {
      const runId = await finishRetentionRun(trx, op, now);
      return outcomeView(await store.retention.outcomeIn(trx, op.namespace, runId));
    },
    undo: undoTrashingChunk,
    failed: failRetentionRun,
  });
  runner.register('namespace.delete', {
    // Irreversible, and the namespace is hidden from its first moment: it must get to the end.
    mustFinish: true,
    chunk: namespaceDeleteChunk,
    async finish(trx, op, now) {
      return { ...(await finishNamespaceDelete(trx, op, now)), deletedAt: iso(now) };
    },
    afterFinish: async () => {
      await finishBlobDeletion();
    },
  });
}
