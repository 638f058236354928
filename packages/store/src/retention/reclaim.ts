import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { idArrayLiteral, withIdSet } from '../id-sets.js';
import { engineOf } from '../store-handle.js';
import { attributeGoing } from '../trash-images.js';
import { blobChunkEnd } from '../blob-reclaim.js';

/** Blobs summed by the first statement; the size then follows the time each one took. */
const RECLAIM_CHUNK = 250;
const RECLAIM_MIN = 100;
const RECLAIM_MAX = 20_000;
/** What one statement should hold the event loop for. */
const RECLAIM_TARGET_MS = 20;

/**
 * Deleting an image moves what goes with it to the trash (see goingWith and trashImages:
 * its descendants through every level of child indexes that no other live index holds, its
 * referrers and tag signatures); these are the manifests that go, for the given images,
 * worked out by the same attribution trashImages uses (attributeGoing) over a graph read
 * for the whole namespace at once.
 */
/** Manifest ids as a list or packed (a preview's column), whichever the caller has. */
export type ManifestIds = readonly number[] | Float64Array;

export async function manifestsGoingWith(
  db: Db,
  namespaceId: number,
  images: ManifestIds,
): Promise<ManifestIds> {
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
  // One query per kind of attachment, each served by its (repository_id, column) index; with
  // both columns in one OR the plan walked every manifest of the namespace (0.35 s at
  // 100,000, holding the event loop; now ~1 ms).
  const attachedBy = (column: 'subject_digest' | 'signs_digest') =>
    db
      .selectFrom('manifests as r')
      .innerJoin('manifests as s', (j) =>
        j.onRef('s.repository_id', '=', 'r.repository_id').onRef('s.digest', '=', `r.${column}`),
      )
      .select(['r.id', 's.id as subject_id'])
      .where('r.repository_id', 'in', inNamespace)
      // "> ''" rather than IS NOT NULL (no digest is empty): the planner then takes the
      // index range of the attachments; for IS NOT NULL it walked every manifest.
      .where(`r.${column}`, '>', '')
      .where('r.state', '=', 'live');
  // UNION, not UNION ALL: one row per pair, as the join on either column gave.
  const attachments = await attachedBy('subject_digest')
    .union(attachedBy('signs_digest'))
    .execute();
  // Nothing is attached to anything: the images go alone (a copy of 100,000 ids into an array
  // held the event loop for ~70 ms).
  if (links.length === 0 && attachments.length === 0) return images;
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
  const { taken } = attributeGoing(Array.from(images), {
    children,
    parents,
    attached,
    live: () => true,
  });
  return [...taken.values()].flat();
}

/**
 * Bytes of the blobs that only the given manifests use: what deleting them frees once they
 * leave the trash. A blob any other manifest uses (kept, in another repository or namespace,
 * or already in the trash) does not count. Every blob is checked from the covering
 * (blob_digest, manifest_id) index: its first user outside the set settles it, so the work is
 * one probe per blob plus the references of the blobs that do go. Read-only.
 */
export async function reclaimableBytes(db: Db, manifests: ManifestIds): Promise<number> {
  if (manifests.length === 0) return 0;
  if (engineOf(db) === 'postgres') return reclaimableBytesOnPostgres(db, manifests);
  return withIdSet(manifests, async (set) => {
    // In ranges of blobs with a turn of the event loop between them: over a million images
    // one statement held the loop (and every pull) for seconds while a preview was made.
    // A range's cost depends on how many images share its blobs (a base layer of the whole
    // namespace is checked image by image), so the size adapts: 2,000 at a time took up to
    // 220 ms at a million images.
    let bytes = 0;
    let size = RECLAIM_CHUNK;
    for (let after: string | null = ''; after !== null;) {
      const started = performance.now();
      const upTo = await blobChunkEnd(db, after, size);
      // The upper bound only when there is one: with `(? IS NULL OR b.digest <= ?)` the
      // planner could not use it, and every range read all blobs from `after` on.
      const below = upTo === null ? sql`` : sql`AND b.digest <= ${upTo}`;
      const result = await sql<{ bytes: number | null }>`
        SELECT sum(b.size) AS bytes FROM blobs b
        WHERE b.digest > ${after} ${below}
          AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs o
            WHERE o.blob_digest = b.digest AND berth_in_id_set(${set}, o.manifest_id) = 0)
          AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = b.digest)
      `.execute(db);
      bytes += Number(result.rows[0]?.bytes ?? 0);
      after = upTo;
      // At most twice as many next time: the next range may hold a widely shared blob.
      const ms = Math.max(1, performance.now() - started);
      const fitting = Math.min(size * 2, (size * RECLAIM_TARGET_MS) / ms);
      size = Math.round(Math.min(RECLAIM_MAX, Math.max(RECLAIM_MIN, fitting)));
      await nextTurn();
    }
    return bytes;
  });
}

/**
 * reclaimableBytes on PostgreSQL: one statement, as a query there runs on the server and the
 * event loop turns while it does (the ranges above exist because better-sqlite3 answers
 * synchronously). A set of up to a third of all manifests starts from the blobs the set uses
 * (the set's own rows of the primary key) and drops a blob when a user outside the set turns
 * up: that costs per member of the set (5.7 s for 900,000 of 1,000,000). A larger set reads
 * every blob use once instead, keeps the uses by manifests outside the set (the set hashed,
 * given as an unnested array: as a constant list the planner estimated it element by element,
 * 0.85 s before running), and counts the blobs that have uses but none of those. That hashes
 * the digests of the outside uses only; grouping all 3,000,000 uses by digest took 2.8–3.0 s
 * against 2.45–2.5 s for this at a million images.
 */
export async function reclaimableBytesOnPostgres(
  db: Db,
  manifests: ManifestIds,
  strategy: 'per-member' | 'whole-scan' | 'by-size' = 'by-size',
): Promise<number> {
  const set = await idArrayLiteral(manifests);
  const wholeScan =
    strategy === 'whole-scan' ||
    (strategy === 'by-size' && manifests.length * 3 > (await estimatedManifests(db)));
  const result = wholeScan
    ? await sql<{ bytes: number | null }>`
        SELECT sum(b.size) AS bytes FROM blobs b
        WHERE NOT EXISTS (
            SELECT 1 FROM manifest_blobs o
            WHERE o.blob_digest = b.digest
              AND NOT EXISTS (
                SELECT 1 FROM unnest(CAST(${set} AS bigint[])) AS s(id) WHERE s.id = o.manifest_id))
          AND EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.blob_digest = b.digest)
      `.execute(db)
    : await sql<{ bytes: number | null }>`
        SELECT sum(b.size) AS bytes FROM blobs b
        WHERE b.digest IN (
            SELECT mb.blob_digest FROM manifest_blobs mb
            WHERE mb.manifest_id = ANY(CAST(${set} AS bigint[])))
          AND NOT EXISTS (
            SELECT 1 FROM manifest_blobs o
            WHERE o.blob_digest = b.digest AND o.manifest_id <> ALL(CAST(${set} AS bigint[])))
      `.execute(db);
  return Number(result.rows[0]?.bytes ?? 0);
}

/** The planner's row count of manifests (kept by ANALYZE and autovacuum); -1 before any. */
async function estimatedManifests(db: Db): Promise<number> {
  const result = await sql<{ n: number }>`
    SELECT reltuples AS n FROM pg_class WHERE oid = CAST('manifests' AS regclass)`.execute(db);
  const n = Number(result.rows[0]?.n ?? -1);
  return n < 0 ? Number.POSITIVE_INFINITY : n;
}
