import { recordAudit } from './audit-store.js';
import type { ActionContext } from './context.js';
import type { Db } from './database.js';
import {
  type ChunkOutcome,
  type OperationRecord,
  createOperation,
  operationItemsAfter,
} from './operations/operations-store.js';
import { NotFoundError } from '@berth/domain';
import { sql } from 'kysely';
import { resolveNamespace, resolveRepository } from './resolve.js';
import {
  type RestorableEntry,
  type RestoredImage,
  restoreEntriesInParts,
  restoreTrashEntriesById,
} from './trash-restore.js';
import { nothingToRestore, runNotInTrash } from './trash-restore-errors.js';
import {
  refuseRestoreIntoDeleting,
  refuseRunRestoreIntoDeleting,
} from './operations/restore-while-deleting.js';

/*
 * "Restore repository" and "restore a retention run" as recorded operations: the set is fixed
 * when the operation starts (the scope's entries up to the newest one then, `upTo`), then
 * restored newest deletion first (the order the tag rule needs) in chunks that each commit on
 * their own with the tally so far and where they stopped, so a restore of 100,000 images never
 * holds the write lock for more than one chunk, and a crash resumes at the last committed
 * chunk. Entries that left the trash meanwhile (restored by someone else, expired) are passed
 * over.
 *
 * Each chunk reads its entries straight from trash_entries in (deleted_at, id) order after
 * the last one restored: listing the whole set into operation_items up front held the write
 * lock for 0.5 s at 100,000 entries (several seconds for a run of 900,000), and entries that
 * enter the trash later have higher ids, so `upTo` keeps them out.
 */

export type TrashRestoreScope = { repository: string } | { retentionRun: number };

/**
 * `upTo` (the newest entry of the set) is absent from operations an earlier Berth started,
 * whose set is listed in operation_items.
 */
type RestoreParams =
  | { scope: 'repository'; repository: string; repositoryId?: number; upTo?: number }
  | { scope: 'retention-run'; runId: number; deletedImages: number; upTo?: number };

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
  /** The (deleted_at, id) of the last entry passed; null before the first. */
  after?: [number, number] | null;
  /** Operations with a listed set: the position in it. */
  seq?: number;
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
    let params: RestoreParams;
    let target: string;
    let set: { column: 'repository_id' | 'retention_run_id'; value: number };
    if ('repository' in scope) {
      const repo = await resolveRepository(trx, ns, scope.repository);
      await refuseRestoreIntoDeleting(trx, ns, [repo.id]);
      set = { column: 'repository_id', value: repo.id };
      params = { scope: 'repository', repository: scope.repository, repositoryId: repo.id };
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
      await refuseRunRestoreIntoDeleting(trx, ns, run.id);
      set = { column: 'retention_run_id', value: run.id };
      params = { scope: 'retention-run', runId: run.id, deletedImages: run.deleted_images };
      target = `retention run ${run.id}`;
    }
    const { total, upTo } = await trx
      .selectFrom('trash_entries')
      .select((eb) => [
        eb.fn.countAll<number>().as('total'),
        eb.fn.max<number | null>('id').as('upTo'),
      ])
      .where(set.column, '=', set.value)
      .where('namespace_id', '=', ns.id)
      .where('expires_at', '>', ctx.now)
      .executeTakeFirstOrThrow();
    if (total === 0 || upTo === null) {
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
      params: { ...params, upTo },
      now: ctx.now,
      owner: claim.owner,
      leaseMs: claim.leaseMs,
    });
    await trx.updateTable('operations').set({ total }).where('id', '=', id).execute();
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
  const params = op.params as RestoreParams;
  const progress = (op.progress as RestoreProgress | null) ?? { tally: emptyRestoreTally() };
  if (params.upTo === undefined) return listedSetChunk(trx, op, progress, budget, now, listed);
  const after = progress.after ?? null;
  const entries = await nextEntries(trx, params, params.upTo, after, now, budget);
  const restored = await restoreEntriesInParts(trx, entries, now);
  const last = entries.at(-1);
  return {
    handled: entries.length,
    progress: {
      after: last ? [last.deleted_at, last.id] : after,
      tally: addToRestoreTally(progress.tally, restored, listed),
    } satisfies RestoreProgress,
    // Every entry passed counts towards done, so reaching the total means none is left.
    finished: entries.length < budget || op.done + entries.length >= op.total,
  };
}

/**
 * The next `limit` entries of the set after `after`, newest deletion first: one range of
 * trash_repo_deleted or trash_retention_run_deleted, read from where the last chunk stopped.
 */
export function nextEntriesQuery(
  params: RestoreParams,
  upTo: number,
  after: readonly [number, number] | null,
  now: number,
  limit: number,
) {
  const scope =
    params.scope === 'repository'
      ? sql`e.repository_id = ${params.repositoryId ?? -1}`
      : sql`e.retention_run_id = ${params.runId}`;
  const [deletedAt, id] = after ?? [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  return sql<RestorableEntry & { deleted_at: number; repository: string }>`
    SELECT e.id, e.namespace_id, e.repository_id, e.manifest_id, e.digest, e.tags, e.size_bytes,
           e.deleted_at, r.name AS repository
    FROM trash_entries e JOIN repositories r ON r.id = e.repository_id
    WHERE ${scope} AND (e.deleted_at, e.id) < (${deletedAt}, ${id})
      AND e.id <= ${upTo} AND e.expires_at > ${now}
    ORDER BY e.deleted_at DESC, e.id DESC
    LIMIT ${limit}`;
}

async function nextEntries(
  trx: Db,
  params: RestoreParams,
  upTo: number,
  after: readonly [number, number] | null,
  now: number,
  limit: number,
) {
  return (await nextEntriesQuery(params, upTo, after, now, limit).execute(trx)).rows;
}

/** A chunk of an operation an earlier Berth started, whose set is listed in operation_items. */
async function listedSetChunk(
  trx: Db,
  op: OperationRecord,
  progress: RestoreProgress,
  budget: number,
  now: number,
  listed: number,
): Promise<ChunkOutcome> {
  const seq = progress.seq ?? 0;
  const items = await operationItemsAfter(trx, op.id, seq, budget);
  const restored = await restoreTrashEntriesById(
    trx,
    items.map((i) => i.itemId),
    now,
  );
  const last = items.at(-1);
  return {
    handled: items.length,
    progress: {
      seq: last?.seq ?? seq,
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
