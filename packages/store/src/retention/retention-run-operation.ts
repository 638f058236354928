import { describeSkip } from '@berth/domain';
import type { Db } from '../database.js';
import { recordAudit } from '../audit-store.js';
import { manifestColumns } from '../images-store.js';
import { trashImages } from '../trash-images.js';
import { listOf } from '../sql-lists.js';
import {
  type ChunkOutcome,
  type OperationRecord,
  operationItemsAfter,
} from '../operations/operations-store.js';
import type { RunImage } from './retention-store.js';
import { rolledBack } from '../operations/trashing-undo.js';

/*
 * A retention run (a confirmed preview, or a policy's daily run) as an operation: its
 * deletions were decided outside any write transaction and fixed as the operation's items,
 * each with the revision the image had when it was decided. A chunk trashes only the images
 * still live with that revision; the others are reported as skipped. The run row stays
 * 'running' until the operation ends.
 */

/** Result lists stop here; counts are always complete. */
export const LISTED_IN_RESULT = 500;

export interface RetentionRunParams {
  runId: number;
  reclaimBytes: number;
  /** What the audit entry says about how the run came about. */
  trigger: Record<string, unknown>;
  /** Skipped when it was decided (first LISTED_IN_RESULT), and how many in all. */
  skipped: (RunImage & { reason: string })[];
  skippedCount: number;
}

export interface RetentionRunProgress {
  /** False until every item is recorded: a run interrupted before that is failed, not resumed. */
  ready: boolean;
  after: number;
  deleted: number;
  deletedBytes: number;
  /** Changed or gone between the decision and its chunk. */
  changed: number;
  listedDeleted: RunImage[];
  listedChanged: (RunImage & { reason: string })[];
}

export const initialRunProgress = (): RetentionRunProgress => ({
  ready: true,
  after: 0,
  deleted: 0,
  deletedBytes: 0,
  changed: 0,
  listedDeleted: [],
  listedChanged: [],
});

export async function retentionRunChunk(
  trx: Db,
  op: OperationRecord,
  budget: number,
  now: number,
): Promise<ChunkOutcome> {
  const params = op.params as RetentionRunParams;
  const progress = op.progress as RetentionRunProgress | null;
  if (!progress?.ready) {
    throw new Error(
      'the run was interrupted while its deletions were being recorded; nothing was deleted, make a new preview',
    );
  }
  const items = await operationItemsAfter(trx, op.id, progress.after, budget);
  const rows = await trx
    .selectFrom('manifests')
    .innerJoin('repositories', 'repositories.id', 'manifests.repository_id')
    .select([...manifestColumns.map((c) => `manifests.${c}` as const), 'manifests.revision'])
    .select('repositories.name as repository')
    .where(
      'manifests.id',
      'in',
      listOf(
        trx,
        items.map((i) => i.itemId),
      ),
    )
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const next = { ...progress, listedDeleted: [...progress.listedDeleted] };
  next.listedChanged = [...progress.listedChanged];
  const groups = new Map<number, { name: string; seeds: typeof rows }>();
  for (const item of items) {
    const m = byId.get(item.itemId);
    if (!m || m.state !== 'live' || m.revision !== item.revision) {
      next.changed++;
      if (m && next.listedChanged.length < LISTED_IN_RESULT) {
        next.listedChanged.push({
          repository: m.repository,
          digest: m.digest,
          tags: [],
          sizeBytes: m.size_bytes,
          reason: describeSkip({ code: m.state === 'live' ? 'changed' : 'gone' }),
        });
      }
      continue;
    }
    const group = groups.get(m.repository_id);
    if (group) group.seeds.push(m);
    else groups.set(m.repository_id, { name: m.repository, seeds: [m] });
  }
  for (const [repositoryId, { name, seeds }] of groups) {
    const out = await trashImages(
      trx,
      { namespaceId: op.namespaceId ?? 0, repositoryId, repositoryName: name },
      seeds,
      'retention',
      { actor: op.actor, now },
      { unavailable: 'skip', retentionRunId: params.runId, operationId: op.id },
    );
    next.deleted += out.length;
    next.deletedBytes += out.reduce((s, t) => s + t.sizeBytes, 0);
    for (const t of out) {
      if (next.listedDeleted.length >= LISTED_IN_RESULT) break;
      next.listedDeleted.push({
        repository: t.repository,
        digest: t.digest,
        tags: t.tags,
        sizeBytes: t.sizeBytes,
      });
    }
    // Taken along by an image deleted before it in this run: neither deleted nor skipped.
  }
  next.after = items.at(-1)?.seq ?? progress.after;
  return {
    handled: items.length,
    progress: next,
    finished: next.after >= op.total || items.length < budget,
  };
}

/** The run row gets its outcome; one audit entry for the run. Returns the run's id. */
export async function finishRetentionRun(
  trx: Db,
  op: OperationRecord,
  now: number,
): Promise<number> {
  const params = op.params as RetentionRunParams;
  const progress = (op.progress as RetentionRunProgress | null) ?? initialRunProgress();
  const skipped = [...params.skipped, ...progress.listedChanged].slice(0, LISTED_IN_RESULT);
  const skippedImages = params.skippedCount + progress.changed;
  await trx
    .updateTable('retention_runs')
    .set({
      status: 'succeeded',
      finished_at: now,
      deleted_images: progress.deleted,
      deleted_bytes: progress.deletedBytes,
      reclaim_bytes: params.reclaimBytes,
      skipped_images: skippedImages,
      // claimed_by stays: the history says which process ran a scheduled run.
      lease_until: null,
      details: JSON.stringify({ deleted: progress.listedDeleted, skipped }),
    })
    .where('id', '=', params.runId)
    .execute();
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'retention.run',
    target: op.namespace,
    outcome: 'success',
    details: {
      runId: params.runId,
      ...params.trigger,
      deletedImages: progress.deleted,
      deletedBytes: progress.deletedBytes,
      reclaimBytes: params.reclaimBytes,
      skippedImages,
      operationId: String(op.id),
    },
  });
  return params.runId;
}

/**
 * A failed operation fails its run, once what it had trashed is back (the runner undid it;
 * the audit entry says how many images went back).
 */
export async function failRetentionRun(
  trx: Db,
  op: OperationRecord,
  error: { code: string; message: string },
  now: number,
): Promise<void> {
  const params = op.params as RetentionRunParams;
  await trx
    .updateTable('retention_runs')
    .set({ status: 'failed', finished_at: now, error: error.message, lease_until: null })
    .where('id', '=', params.runId)
    .where('status', '=', 'running')
    .execute();
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'retention.run',
    target: op.namespace,
    outcome: 'failure',
    details: {
      runId: params.runId,
      error: error.message,
      rolledBack: rolledBack(op),
      operationId: String(op.id),
    },
  });
}
