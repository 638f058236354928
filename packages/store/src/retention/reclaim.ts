import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../database.js';

const IDS_PER_INSERT = 100_000;

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
 * or already in the trash) does not count. Read-only: the id set lives in a temporary table
 * of this connection, dropped before returning.
 */
export async function reclaimableBytes(db: Db, manifests: readonly number[]): Promise<number> {
  if (manifests.length === 0) return 0;
  const table = `retention_going_${randomBytes(6).toString('hex')}`;
  const ref = sql.table(`temp.${table}`);
  await sql`CREATE TEMP TABLE ${sql.table(table)} (id INTEGER PRIMARY KEY)`.execute(db);
  try {
    // Sorted ids append to the temporary B-tree instead of splitting pages all over it.
    const ids = Float64Array.from(manifests).sort();
    for (let i = 0; i < ids.length; i += IDS_PER_INSERT) {
      const chunk = JSON.stringify(Array.from(ids.subarray(i, i + IDS_PER_INSERT)));
      await sql`INSERT INTO ${ref} (id) SELECT value FROM json_each(${chunk})`.execute(db);
    }
    // Every blob is checked from the covering (blob_digest, manifest_id) index: the first user
    // outside the set settles it, so the work is one probe per blob plus the references of the
    // blobs that do go.
    const result = await sql<{ bytes: number | null }>`
      SELECT sum(b.size) AS bytes FROM blobs b
      WHERE NOT EXISTS (
          SELECT 1 FROM manifest_blobs o
          WHERE o.blob_digest = b.digest AND o.manifest_id NOT IN (SELECT id FROM ${ref}))
        AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = b.digest)
    `.execute(db);
    return Number(result.rows[0]?.bytes ?? 0);
  } finally {
    await sql`DROP TABLE IF EXISTS ${ref}`.execute(db);
  }
}
