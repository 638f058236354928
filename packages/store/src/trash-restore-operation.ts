import { recordAudit } from './audit-store.js';
import type { ActionContext } from './context.js';
import type { Db } from './database.js';
import {
  type ChunkOutcome,
  type OperationRecord,
  appendOperationItemValues,
  createOperation,
  operationItemsAfter,
} from './operations/operations-store.js';
import { NotFoundError } from '@berth/domain';
import { resolveNamespace, resolveRepository } from './resolve.js';
import { type RestoredImage, restoreTrashEntriesById } from './trash-restore.js';
import { nothingToRestore, runNotInTrash } from './trash-restore-errors.js';

/*
 * "Restore repository" and "restore a retention run" as recorded operations: the entries are
 * fixed when the operation starts (newest deletion first, the order the tag rule needs), then
 * restored in chunks that each commit on their own with the tally so far, so a restore of
 * 100,000 images never holds the write lock for more than one chunk, and a crash resumes at
 * the last committed chunk. Entries that left the trash meanwhile (restored by someone else,
 * expired) are passed over.
 */

export type TrashRestoreScope = { repository: string } | { retentionRun: number };

type RestoreParams =
  | { scope: 'repository'; repository: string }
  | { scope: 'retention-run'; runId: number; deletedImages: number };

/** What has been restored so far: counts always, the first `listed` images and skips. */
export interface RestoreTally {
  restored: number;
  images: { repository: string; digest: string; tags: string[] }[];
  skippedTagCount: number;
  skippedTags: {
    repository: string;
    digest: string;
    tag: string;
    reason: string;
    heldBy: string;
  }[];
}

interface RestoreProgress {
  seq: number;
  tally: RestoreTally;
}

export function emptyRestoreTally(): RestoreTally {
  return { restored: 0, images: [], skippedTagCount: 0, skippedTags: [] };
}

/** Adds restored images to a tally, listing at most `listed` images and skipped tags. */
export function addToRestoreTally(
  tally: RestoreTally,
  restored: readonly RestoredImage[],
  listed: number,
): RestoreTally {
  for (const r of restored) {
    tally.restored++;
    if (tally.images.length < listed) {
      tally.images.push({ repository: r.repository, digest: r.digest, tags: r.tags });
    }
    for (const s of r.skippedTags) {
      tally.skippedTagCount++;
      if (tally.skippedTags.length < listed) {
        tally.skippedTags.push({ repository: r.repository, digest: r.digest, ...s });
      }
    }
  }
  return tally;
}

/**
 * Creates the operation with its set of entries (refused when nothing is left to restore) and
 * returns its id; the caller works it (`restoreOperationChunk`, then `finishRestoreOperation`).
 */
export async function startTrashRestore(
  db: Db,
  namespace: string,
  scope: TrashRestoreScope,
  ctx: ActionContext,
  claim: { owner: string; leaseMs: number },
): Promise<{ id: number; total: number }> {
  return db.transaction().execute(async (trx) => {
    const ns = await resolveNamespace(trx, namespace);
    let entries = trx
      .selectFrom('trash_entries')
      .select('id')
      .where('namespace_id', '=', ns.id)
      .where('expires_at', '>', ctx.now);
    let params: RestoreParams;
    let target: string;
    if ('repository' in scope) {
      const repo = await resolveRepository(trx, ns, scope.repository);
      entries = entries.where('repository_id', '=', repo.id);
      params = { scope: 'repository', repository: scope.repository };
      target = `${namespace}/${scope.repository}`;
    } else {
      const run = await trx
        .selectFrom('retention_runs')
        .select(['id', 'deleted_images'])
        .where('id', '=', scope.retentionRun)
        .where('namespace_id', '=', ns.id)
        .executeTakeFirst();
      if (!run) {
        throw new NotFoundError(
          'RUN_UNKNOWN',
          `namespace "${namespace}" has no retention run ${scope.retentionRun}`,
        );
      }
      entries = entries.where('retention_run_id', '=', run.id);
      params = { scope: 'retention-run', runId: run.id, deletedImages: run.deleted_images };
      target = `retention run ${run.id}`;
    }
    const ids = await entries.orderBy('deleted_at', 'desc').orderBy('id', 'desc').execute();
    if (ids.length === 0) {
      throw 'repository' in scope
        ? nothingToRestore(namespace, scope.repository)
        : runNotInTrash(scope.retentionRun);
    }
    const id = await createOperation(trx, {
      kind: 'repository' in scope ? 'trash.restore' : 'retention.run.restore',
      namespace,
      namespaceId: ns.id,
      target,
      actor: ctx.actor,
      params,
      now: ctx.now,
      owner: claim.owner,
      leaseMs: claim.leaseMs,
    });
    const total = await appendOperationItemValues(
      trx,
      id,
      ids.map((e) => ({ itemId: e.id, revision: null })),
    );
    return { id, total };
  });
}

/** One chunk of a restore operation, in the runner's transaction. */
export async function restoreOperationChunk(
  trx: Db,
  op: OperationRecord,
  budget: number,
  now: number,
  listed: number,
): Promise<ChunkOutcome> {
  const progress = (op.progress as RestoreProgress | null) ?? {
    seq: 0,
    tally: emptyRestoreTally(),
  };
  const items = await operationItemsAfter(trx, op.id, progress.seq, budget);
  const restored = await restoreTrashEntriesById(
    trx,
    items.map((i) => i.itemId),
    now,
  );
  const last = items.at(-1);
  return {
    handled: items.length,
    progress: {
      seq: last?.seq ?? progress.seq,
      tally: addToRestoreTally(progress.tally, restored, listed),
    } satisfies RestoreProgress,
    finished: items.length < budget || (last?.seq ?? 0) >= op.total,
  };
}

/**
 * The end of a restore operation: one audit entry with the counts, and the result body
 * (the tally; a run restore's with what of the run had already left the trash).
 */
export async function finishRestoreOperation(
  trx: Db,
  op: OperationRecord,
  now: number,
): Promise<
  | ({ scope: 'repository' } & RestoreTally)
  | { scope: 'retention-run'; runId: number; notInTrash: number; tally: RestoreTally }
> {
  const params = op.params as RestoreParams;
  const tally = (op.progress as RestoreProgress | null)?.tally ?? emptyRestoreTally();
  const counts = { restored: tally.restored, skippedTags: tally.skippedTagCount };
  if (params.scope === 'repository') {
    await recordAudit(trx, now, {
      actor: op.actor,
      action: 'repository.restore',
      target: op.target,
      outcome: 'success',
      details: { ...counts, operation: op.id },
    });
    return { scope: 'repository', ...tally };
  }
  const notInTrash = Math.max(0, params.deletedImages - tally.restored);
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'retention.run.restore',
    target: op.namespace,
    outcome: 'success',
    details: { runId: params.runId, ...counts, notInTrash, operation: op.id },
  });
  return { scope: 'retention-run', runId: params.runId, notInTrash, tally };
}

/**
 * A restore that failed part-way keeps the chunks it committed (each restored whole images,
 * with their tags and counters); the audit says how far it got.
 */
export async function failRestoreOperation(
  trx: Db,
  op: OperationRecord,
  error: { code: string; message: string },
  now: number,
): Promise<void> {
  const params = op.params as RestoreParams;
  const tally = (op.progress as RestoreProgress | null)?.tally ?? emptyRestoreTally();
  await recordAudit(trx, now, {
    actor: op.actor,
    action: params.scope === 'repository' ? 'repository.restore' : 'retention.run.restore',
    target: params.scope === 'repository' ? op.target : op.namespace,
    outcome: 'failure',
    details: { restored: tally.restored, of: op.total, error, operation: op.id },
  });
}
