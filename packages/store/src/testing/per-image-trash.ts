import { type TrashReason, goingWith, trashExpiry } from '@berth/domain';
import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { chunks } from '../blob-reclaim.js';
import { tagsOf } from '../tags-of.js';
import { loadImageGraph } from '../image-graph-load.js';
import { adjustLiveCounters, adjustTrashCounters } from '../resolve.js';
import type { ManifestRow } from '../images-store.js';

/*
 * The per-image trash as Berth did it before set-based trashing (issue 14), kept verbatim for
 * tests: trashing images one by one with it is the behaviour the set-based trashImages must
 * reproduce exactly.
 */

/**
 * Moves one manifest to the trash with everything that goes with it (see goingWith: its
 * descendants no other live index holds, its referrers and tag signatures). Their tags go
 * too, remembered per manifest so a restore puts each back where it was. Runs inside the
 * caller's transaction.
 */
export async function trashOneImage(
  trx: Db,
  ids: { namespaceId: number; repositoryId: number; repositoryName: string },
  m: ManifestRow,
  reason: TrashReason,
  ctx: ActionContext,
  retentionRunId: number | null = null,
): Promise<{
  trashId: string;
  repository: string;
  digest: string;
  tags: string[];
  sizeBytes: number;
}> {
  const { graph } = await loadImageGraph(trx, ids.repositoryId, [
    { id: m.id, digest: m.digest, state: 'live' },
  ]);
  const going = goingWith([m.id], graph);
  const tagsByManifest = await tagsOf(trx, going);
  const tags = tagsByManifest.get(m.id) ?? [];
  for (const chunk of chunks(going)) {
    await trx.deleteFrom('tags').where('manifest_id', 'in', chunk).execute();
  }
  const entry = await trx
    .insertInto('trash_entries')
    .values({
      namespace_id: ids.namespaceId,
      repository_id: ids.repositoryId,
      manifest_id: m.id,
      digest: m.digest,
      media_type: m.media_type,
      tags: JSON.stringify(tags),
      size_bytes: m.size_bytes,
      deleted_at: ctx.now,
      expires_at: trashExpiry(ctx.now),
      reason,
      actor: ctx.actor,
      retention_run_id: retentionRunId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const chunk of chunks(going)) {
    await trx
      .updateTable('manifests')
      .set({
        state: 'trashed' as const,
        listed: 0,
        trash_entry_id: entry.id,
        revision: sql<number>`revision + 1`,
      })
      .where('id', 'in', chunk)
      .where('state', '=', 'live')
      .execute();
  }
  const remembered = [...tagsByManifest].flatMap(([manifestId, names]) =>
    names.map((tag) => ({
      trash_entry_id: entry.id,
      manifest_id: manifestId,
      repository_id: ids.repositoryId,
      tag,
      deleted_at: ctx.now,
    })),
  );
  for (const chunk of chunks(remembered)) {
    await trx.insertInto('trash_tags').values(chunk).execute();
  }
  if (m.top_level === 1) await adjustLiveCounters(trx, ids, -1, -m.size_bytes);
  await adjustTrashCounters(trx, ids.namespaceId, 1, m.size_bytes);
  return {
    trashId: String(entry.id),
    repository: ids.repositoryName,
    digest: m.digest,
    tags,
    sizeBytes: m.size_bytes,
  };
}
