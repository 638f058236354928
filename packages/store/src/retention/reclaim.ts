import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { withIdSet } from '../id-sets.js';
import { attributeGoing } from '../trash-images.js';
import { blobChunkEnd } from '../blob-reclaim.js';

const RECLAIM_CHUNK = 2000;

/**
 * Deleting an image moves what goes with it to the trash (see goingWith and trashImages:
 * its descendants through every level of child indexes that no other live index holds, its
 * referrers and tag signatures); these are the manifests that go, for the given images,
 * worked out by the same attribution trashImages uses (attributeGoing) over a graph read
 * for the whole namespace at once.
 */
export async function manifestsGoingWith(
  db: Db,
  namespaceId: number,
  images: readonly number[],
): Promise<number[]> {
  if (images.length === 0) return [];
  const inNamespace = db
    .selectFrom('repositories')
    .select('id')
    .where('namespace_id', '=', namespaceId);
  // CROSS JOIN keeps manifest_children as the outer loop in SQLite: index links are few, the
  // namespace's manifests may be a million.
  const links = await db
    .selectFrom('manifest_children as mc')
    .crossJoin('manifests as p')
    .whereRef('p.id', '=', 'mc.parent_id')
    .select(['mc.parent_id', 'mc.child_id'])
    .where('p.repository_id', 'in', inNamespace)
    .where('p.state', '=', 'live')
    .orderBy('mc.parent_id')
    .orderBy('mc.position')
    .execute();
  const attachments = await db
    .selectFrom('manifests as r')
    .innerJoin('manifests as s', (j) =>
      j
        .onRef('s.repository_id', '=', 'r.repository_id')
        .on((eb) =>
          eb.or([
            eb('s.digest', '=', eb.ref('r.subject_digest')),
            eb('s.digest', '=', eb.ref('r.signs_digest')),
          ]),
        ),
    )
    .select(['r.id', 's.id as subject_id'])
    .where('r.repository_id', 'in', inNamespace)
    .where((eb) =>
      eb.or([eb('r.subject_digest', 'is not', null), eb('r.signs_digest', 'is not', null)]),
    )
    .where('r.state', '=', 'live')
    .execute();
  if (links.length === 0 && attachments.length === 0) return [...images];
  const children = new Map<number, number[]>();
  const parents = new Map<number, number[]>();
  const attached = new Map<number, number[]>();
  const add = (map: Map<number, number[]>, key: number, value: number) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const l of links) {
    add(children, l.parent_id, l.child_id);
    add(parents, l.child_id, l.parent_id);
  }
  for (const a of attachments) if (a.id !== a.subject_id) add(attached, a.subject_id, a.id);
  // Only live indexes and attachments were read, and an index's children live while it does.
  const { taken } = attributeGoing(images, { children, parents, attached, live: () => true });
  return [...taken.values()].flat();
}

/**
 * Bytes of the blobs that only the given manifests use: what deleting them frees once they
 * leave the trash. A blob any other manifest uses (kept, in another repository or namespace,
 * or already in the trash) does not count. Every blob is checked from the covering
 * (blob_digest, manifest_id) index: its first user outside the set settles it, so the work is
 * one probe per blob plus the references of the blobs that do go. Read-only.
 */
export async function reclaimableBytes(db: Db, manifests: readonly number[]): Promise<number> {
  if (manifests.length === 0) return 0;
  return withIdSet(manifests, async (set) => {
    // In ranges of blobs with a turn of the event loop between them: over a million images
    // one statement held the loop (and every pull) for seconds while a preview was made.
    let bytes = 0;
    for (let after: string | null = ''; after !== null;) {
      const upTo = await blobChunkEnd(db, after, RECLAIM_CHUNK);
      const result = await sql<{ bytes: number | null }>`
        SELECT sum(b.size) AS bytes FROM blobs b
        WHERE b.digest > ${after} AND (${upTo} IS NULL OR b.digest <= ${upTo})
          AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs o
            WHERE o.blob_digest = b.digest AND berth_in_id_set(${set}, o.manifest_id) = 0)
          AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = b.digest)
      `.execute(db);
      bytes += Number(result.rows[0]?.bytes ?? 0);
      after = upTo;
      await nextTurn();
    }
    return bytes;
  });
}
