import { planTagRestore, type TagRestorePlan } from '@berth/domain';
import { sql } from 'kysely';
import { chunks } from './blob-reclaim.js';
import type { Db } from './database.js';
import { adjustLiveCounters, adjustTrashCounters } from './resolve.js';
import { typed } from './sql-lists.js';

/**
 * Links every blob the given manifests use to the repository again (a blob DELETE may have
 * unlinked one while its image was in the trash; GC kept the bytes because a manifest uses them).
 */
export async function relinkBlobs(
  trx: Db,
  repositoryId: number,
  manifestIds: readonly number[],
  now: number,
): Promise<void> {
  for (const chunk of chunks(manifestIds)) {
    await trx
      .insertInto('repository_blobs')
      .columns(['repository_id', 'digest', 'touched_at'])
      .expression((eb) =>
        eb
          .selectFrom('manifest_blobs')
          .innerJoin('blobs', 'blobs.digest', 'manifest_blobs.blob_digest')
          .select([
            typed(trx, repositoryId, 'bigint').as('repository_id'),
            'manifest_blobs.blob_digest',
            typed(trx, now, 'bigint').as('touched_at'),
          ])
          .distinct()
          .where('manifest_blobs.manifest_id', 'in', chunk),
      )
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ touched_at: now }))
      .execute();
  }
}

/**
 * Brings every manifest of one trash entry (the image, its referrers, its index children) back
 * to life and drops the entry, in the caller's transaction. Tags are the caller's business:
 * a restore re-applies remembered ones, a re-push applies the pushed one.
 */
export async function reviveTrashEntry(
  trx: Db,
  ids: { namespaceId: number; repositoryId: number },
  entry: { id: number; manifest_id: number; size_bytes: number },
  now: number,
): Promise<{
  id: number;
  top_level: number;
  size_bytes: number;
  skippedTags: TagRestorePlan['skipped'];
}> {
  const main = await trx
    .selectFrom('manifests')
    .select(['id', 'top_level', 'size_bytes'])
    .where('id', '=', entry.manifest_id)
    .executeTakeFirstOrThrow();
  const members = await trx
    .selectFrom('manifests')
    .select('id')
    .where('trash_entry_id', '=', entry.id)
    .execute();
  await relinkBlobs(
    trx,
    ids.repositoryId,
    members.map((m) => m.id),
    now,
  );
  await trx
    .updateTable('manifests')
    .set((eb) => ({
      state: 'live',
      trash_entry_id: null,
      listed: eb.ref('top_level'),
      revision: sql<number>`revision + 1`,
    }))
    .where('trash_entry_id', '=', entry.id)
    .execute();
  const partTags = await reviveTagsOfParts(trx, ids.repositoryId, entry, now);
  await trx.deleteFrom('trash_entries').where('id', '=', entry.id).execute();
  if (main.top_level === 1) await adjustLiveCounters(trx, ids, 1, main.size_bytes);
  await adjustTrashCounters(trx, ids.namespaceId, -1, -entry.size_bytes);
  return { ...main, skippedTags: partTags.skipped };
}

/**
 * The tags the parts of an image (its tag signatures, platform images, child indexes) held
 * when it went to the trash come back with them, unless another manifest holds one now.
 */
async function reviveTagsOfParts(
  trx: Db,
  repositoryId: number,
  entry: { id: number; manifest_id: number },
  now: number,
): Promise<{ skipped: TagRestorePlan['skipped'] }> {
  const remembered = await trx
    .selectFrom('trash_tags')
    .innerJoin('manifests', 'manifests.id', 'trash_tags.manifest_id')
    .select(['trash_tags.tag', 'trash_tags.manifest_id', 'manifests.digest'])
    .where('trash_tags.trash_entry_id', '=', entry.id)
    .where('trash_tags.manifest_id', '!=', entry.manifest_id)
    .orderBy('trash_tags.tag')
    .execute();
  const skipped: TagRestorePlan['skipped'] = [];
  for (const r of remembered) {
    const holder = await trx
      .selectFrom('tags')
      .innerJoin('manifests', 'manifests.id', 'tags.manifest_id')
      .select('manifests.digest')
      .where('tags.repository_id', '=', repositoryId)
      .where('tags.name', '=', r.tag)
      .executeTakeFirst();
    if (holder) {
      if (holder.digest !== r.digest) {
        skipped.push(
          planTagRestore([r.tag], new Map([[r.tag, holder.digest]]), r.digest).skipped[0]!,
        );
      }
      continue;
    }
    await trx
      .insertInto('tags')
      .values({
        repository_id: repositoryId,
        name: r.tag,
        manifest_id: r.manifest_id!,
        updated_at: now,
      })
      .execute();
  }
  return { skipped };
}
