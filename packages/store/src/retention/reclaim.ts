import { sql } from 'kysely';
import type { Db } from '../database.js';
import { withIdSet } from '../id-sets.js';

/**
 * Deleting an image moves its referrers and the platform images no other live index holds
 * along with it (see trashManifest); these are the manifests that go, for the given images.
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
  const children = await db
    .selectFrom('manifest_children as mc')
    .crossJoin('manifests as p')
    .whereRef('p.id', '=', 'mc.parent_id')
    .select(['mc.parent_id', 'mc.child_id'])
    .where('p.repository_id', 'in', inNamespace)
    .where('p.state', '=', 'live')
    .execute();
  const referrers = await db
    .selectFrom('manifests as r')
    .innerJoin('manifests as s', (j) =>
      j.onRef('s.repository_id', '=', 'r.repository_id').onRef('s.digest', '=', 'r.subject_digest'),
    )
    .select(['r.id', 's.id as subject_id'])
    .where('r.repository_id', 'in', inNamespace)
    .where('r.subject_digest', 'is not', null)
    .where('r.state', '=', 'live')
    .execute();
  if (children.length === 0 && referrers.length === 0) return [...images];
  const chosen = new Set(images);
  const going = [...images];
  const liveParents = new Map<number, number[]>();
  for (const c of children) {
    const list = liveParents.get(c.child_id);
    if (list) list.push(c.parent_id);
    else liveParents.set(c.child_id, [c.parent_id]);
  }
  for (const [child, parents] of liveParents) {
    if (!chosen.has(child) && parents.every((p) => chosen.has(p))) going.push(child);
  }
  for (const r of referrers) if (chosen.has(r.subject_id) && !chosen.has(r.id)) going.push(r.id);
  return going;
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
    const result = await sql<{ bytes: number | null }>`
      SELECT sum(b.size) AS bytes FROM blobs b
      WHERE NOT EXISTS (
          SELECT 1 FROM manifest_blobs o
          WHERE o.blob_digest = b.digest AND berth_in_id_set(${set}, o.manifest_id) = 0)
        AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = b.digest)
    `.execute(db);
    return Number(result.rows[0]?.bytes ?? 0);
  });
}
