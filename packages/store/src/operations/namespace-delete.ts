import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import { reclaimUnreferencedBlobs } from '../blob-reclaim.js';
import { resolveNamespace } from '../resolve.js';
import type { NamespaceDeletionSummary } from '../namespaces-store.js';
import { type ChunkOutcome, type OperationRecord, createOperation } from './operations-store.js';
import { listOf, tuplesOf, valuesOf } from '../sql-lists.js';

/*
 * Deleting a namespace as an operation. It disappears at once: its row is renamed out of
 * every lookup by name (pulls, pushes, pages answer as for a namespace that does not exist,
 * and the name can be taken again) and marked `deleting` for the listings. Then chunks delete
 * its manifests (with their tags, trash entries, index links and blob references) keeping
 * every counter true, then its blob links, reclaiming blobs nothing references any more
 * (phase 1 of blob deletion; the files go after the operation, see blob-reclaim), and the
 * last transaction deletes the rows that are left (repositories, policies, members) with the
 * namespace itself.
 */

interface Params {
  summary: NamespaceDeletionSummary;
}

interface Progress {
  phase: 'manifests' | 'links';
  /**
   * Keyset position in the manifests phase: the repository the last chunk ended in; the ones
   * before it are empty. (Absent in progress recorded before it existed: from the first.)
   */
  repository?: number;
  /** Keyset position in the links phase: the last (repository id, digest) done. */
  link: [number, string] | null;
  reclaimed: number;
}

const LINKS_PER_IMAGE = 4;

/** The name a namespace has while its delete runs: no namespace name can look like it. */
const hiddenName = (id: number) => `~deleting~${id}`;

export async function startNamespaceDelete(
  db: Db,
  name: string,
  ctx: ActionContext,
  claim: { owner: string; leaseMs: number },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ns = await resolveNamespace(trx, name);
    const summary: NamespaceDeletionSummary = {
      namespace: ns.name,
      repositories: ns.repository_count,
      images: ns.image_count,
      trashItems: ns.trash_count,
      sizeBytes: ns.size_bytes,
      trashSizeBytes: ns.trash_size_bytes,
    };
    await trx
      .updateTable('namespaces')
      .set({ name: hiddenName(ns.id), deleting: 1 })
      .where('id', '=', ns.id)
      .execute();
    const manifests = await trx
      .selectFrom('manifests')
      .innerJoin('repositories', 'repositories.id', 'manifests.repository_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('repositories.namespace_id', '=', ns.id)
      .executeTakeFirstOrThrow();
    const id = await createOperation(trx, {
      kind: 'namespace.delete',
      namespace: name,
      namespaceId: ns.id,
      target: name,
      actor: ctx.actor,
      params: { summary } satisfies Params,
      now: ctx.now,
      ...claim,
    });
    await trx
      .updateTable('operations')
      .set({
        total: Number(manifests.n),
        progress: JSON.stringify({ phase: 'manifests', link: null, reclaimed: 0 } as Progress),
      })
      .where('id', '=', id)
      .execute();
    return id;
  });
}

export async function namespaceDeleteChunk(
  trx: Db,
  op: OperationRecord,
  budget: number,
  now: number,
): Promise<ChunkOutcome> {
  const nsId = op.namespaceId ?? 0;
  const progress = (op.progress as Progress | null) ?? {
    phase: 'manifests',
    link: null,
    reclaimed: 0,
  };
  const repositories = trx.selectFrom('repositories').select('id').where('namespace_id', '=', nsId);
  if (progress.phase === 'manifests') {
    const batch = await trx
      .selectFrom('manifests')
      .select(['id', 'repository_id', 'listed', 'size_bytes'])
      // Repositories in id order from where the last chunk ended: probing every emptied one
      // again cost each chunk a lookup per repository of the namespace (0.7 ms at 1,000).
      .where('repository_id', 'in', repositories.where('id', '>=', progress.repository ?? 0))
      .orderBy('repository_id')
      // `budget` comes from what the last chunks cost per manifest (their cascades to blob
      // references, tags, index links and trash entries included), so it is taken whole: a
      // quarter of it made chunks of ~4 ms, and their commits a third of the work.
      .limit(budget)
      .execute();
    if (batch.length === 0) {
      return { handled: 0, progress: { ...progress, phase: 'links' }, finished: false };
    }
    const ids = batch.map((m) => m.id);
    // The counters stay true at every chunk: what is deleted is taken off them.
    const listed = new Map<number, { images: number; bytes: number }>();
    for (const m of batch) {
      if (m.listed !== 1) continue;
      const r = listed.get(m.repository_id) ?? { images: 0, bytes: 0 };
      listed.set(m.repository_id, { images: r.images + 1, bytes: r.bytes + m.size_bytes });
    }
    const trash = await trx
      .selectFrom('trash_entries')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.coalesce(eb.fn.sum<number>('size_bytes'), eb.val(0)).as('bytes'),
      ])
      .where('manifest_id', 'in', listOf(trx, ids))
      .executeTakeFirstOrThrow();
    // Tags, trash entries (with their remembered tags), index links and blob references go
    // with their manifests (ON DELETE CASCADE).
    await trx.deleteFrom('manifests').where('id', 'in', listOf(trx, ids)).execute();
    let images = 0;
    let bytes = 0;
    let emptied = 0;
    for (const [repositoryId, gone] of listed) {
      const repo = await trx
        .updateTable('repositories')
        .set((eb) => ({
          image_count: eb('image_count', '-', gone.images),
          size_bytes: eb('size_bytes', '-', gone.bytes),
        }))
        .where('id', '=', repositoryId)
        .returning('image_count')
        .executeTakeFirstOrThrow();
      if (repo.image_count === 0 && gone.images > 0) emptied++;
      images += gone.images;
      bytes += gone.bytes;
    }
    await trx
      .updateTable('namespaces')
      .set((eb) => ({
        image_count: eb('image_count', '-', images),
        size_bytes: eb('size_bytes', '-', bytes),
        repository_count: eb('repository_count', '-', emptied),
        trash_count: eb('trash_count', '-', Number(trash.n)),
        trash_size_bytes: eb('trash_size_bytes', '-', Number(trash.bytes)),
      }))
      .where('id', '=', nsId)
      .execute();
    return {
      handled: batch.length,
      progress: { ...progress, repository: batch.at(-1)!.repository_id },
      finished: false,
    };
  }
  // Links: every blob the namespace uploaded or referenced is a candidate for reclaiming.
  let links = trx
    .selectFrom('repository_blobs')
    .select(['repository_id', 'digest'])
    .where('repository_id', 'in', repositories)
    .orderBy('repository_id')
    .orderBy('digest')
    .limit(budget * LINKS_PER_IMAGE);
  if (progress.link) {
    const [repositoryId, digest] = progress.link;
    links = links.where((eb) =>
      eb.or([
        eb('repository_id', '>', repositoryId),
        eb.and([eb('repository_id', '=', repositoryId), eb('digest', '>', digest)]),
      ]),
    );
  }
  const batch = await links.execute();
  if (batch.length === 0) return { handled: 0, progress, finished: true };
  const last = batch.at(-1)!;
  const j = tuplesOf(
    trx,
    'j',
    batch.map((l) => [l.repository_id, l.digest]),
    ['bigint', 'text'],
  );
  await sql`
    DELETE FROM repository_blobs
    WHERE (repository_id, digest) IN (SELECT ${j.field(0)}, ${j.field(1)} FROM ${j.from})`.execute(
    trx,
  );
  // Only blobs no manifest uses any more can go; a layer other images share (most of them)
  // is settled by one index probe here instead of by the link checks of reclaiming it.
  const digests = batch.map((l) => l.digest);
  const each = valuesOf(trx, 'j', digests, 'text');
  const unused = await sql<{ digest: string }>`
    SELECT DISTINCT j.value AS digest FROM ${each}
    WHERE NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = j.value)`.execute(trx);
  // The namespace's links went with it, so no grace applies to them.
  const reclaimed = await reclaimUnreferencedBlobs(
    trx,
    unused.rows.map((r) => r.digest),
    now,
  );
  return {
    handled: 0,
    progress: {
      ...progress,
      link: [last.repository_id, last.digest],
      reclaimed: progress.reclaimed + reclaimed.length,
    },
    finished: false,
  };
}

/** The rows that are left go with the namespace; one audit entry. Returns the summary. */
export async function finishNamespaceDelete(
  trx: Db,
  op: OperationRecord,
  now: number,
): Promise<NamespaceDeletionSummary> {
  const { summary } = op.params as Params;
  const progress = op.progress as Progress | null;
  await trx
    .deleteFrom('namespaces')
    .where('id', '=', op.namespaceId ?? 0)
    .where('deleting', '=', 1)
    .execute();
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'namespace.delete',
    target: op.namespace,
    outcome: 'success',
    details: { ...summary, blobsReclaimed: progress?.reclaimed ?? 0, operationId: String(op.id) },
  });
  return summary;
}
