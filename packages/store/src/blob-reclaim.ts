import { type ExpressionBuilder, sql } from 'kysely';
import type { Database, Db } from './database.js';

const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/*
 * Blob deletion is two-phase so that a push can never lose a blob to GC:
 *  1. in a transaction, links older than the grace period that no manifest of their repository
 *     uses are dropped, and blobs that nothing (no manifest in any state, no link) references
 *     any more are marked `deleting`;
 *  2. the files are removed, then the marked rows (finishBlobDeletion).
 * A push that finishes an upload of a marked digest waits until the row is gone (linkBlob
 * answers `busy`); a push whose manifest names a marked or unlinked blob is refused inside its
 * own transaction. A crash between the phases leaves marked rows, which the next GC finishes.
 *
 * A full GC runs phase 1 in chunks, each its own short transaction: every link is dropped and
 * every blob marked by a statement that checks, in that same transaction, that nothing uses it
 * at that moment, so the guarantee above holds per row and needs no transaction around the
 * whole run. Links go before blobs are looked at, as a single transaction did them.
 */

/**
 * Is the link's digest used by a manifest of the link's repository? Walked from the digest's
 * manifests (manifest_blobs_blob), only those whose id lies in the repository's range of
 * manifest ids (manifests_repository_id answers min and max in one step each), to each
 * manifest's row by id: the CROSS JOIN fixes that order. Left to itself without statistics,
 * SQLite walked from the repository's manifests instead, reading the whole repository once per
 * link: 12.5 s for one GC at 10,000 images in one repository, quadratic in its size. The id
 * range keeps a layer that thousands of other repositories' manifests share from being read
 * whole for each of its links.
 */
const linkUsed = (eb: ExpressionBuilder<Database, 'repository_blobs'>) =>
  eb.exists(
    eb
      .selectFrom('manifest_blobs')
      .crossJoin('manifests')
      .select('manifest_blobs.manifest_id')
      .whereRef('manifest_blobs.blob_digest', '=', 'repository_blobs.digest')
      // Two comparisons, not BETWEEN: SQLite uses BETWEEN with subqueries only as a filter.
      .where(
        sql<boolean>`manifest_blobs.manifest_id >=
          (SELECT min(r.id) FROM manifests r WHERE r.repository_id = repository_blobs.repository_id)`,
      )
      .where(
        sql<boolean>`manifest_blobs.manifest_id <=
          (SELECT max(r.id) FROM manifests r WHERE r.repository_id = repository_blobs.repository_id)`,
      )
      .whereRef('manifests.id', '=', 'manifest_blobs.manifest_id')
      .whereRef('manifests.repository_id', '=', 'repository_blobs.repository_id'),
  );
const linkUnused = (eb: ExpressionBuilder<Database, 'repository_blobs'>) => eb.not(linkUsed(eb));

const blobUnreferenced = (eb: ExpressionBuilder<Database, 'blobs'>) =>
  eb.and([
    eb.not(
      eb.exists(
        eb
          .selectFrom('manifest_blobs')
          .select('manifest_blobs.blob_digest')
          .whereRef('manifest_blobs.blob_digest', '=', 'blobs.digest'),
      ),
    ),
    eb.not(
      eb.exists(
        eb
          .selectFrom('repository_blobs')
          .select('repository_blobs.digest')
          .whereRef('repository_blobs.digest', '=', 'blobs.digest'),
      ),
    ),
  ]);

/** Phase 1 for the given digests (after a purge or a namespace delete). Returns marked digests. */
export async function reclaimUnreferencedBlobs(
  trx: Db,
  candidates: Iterable<string>,
  linkCutoff: number,
): Promise<string[]> {
  const marked: string[] = [];
  for (const chunk of chunks([...new Set(candidates)])) {
    await trx
      .deleteFrom('repository_blobs')
      .where('digest', 'in', chunk)
      .where('touched_at', '<', linkCutoff)
      .where(linkUnused)
      .execute();
    const rows = await trx
      .updateTable('blobs')
      .set({ deleting: 1 })
      .where('digest', 'in', chunk)
      .where('deleting', '=', 0)
      .where(blobUnreferenced)
      .returning('digest')
      .execute();
    marked.push(...rows.map((r) => r.digest));
  }
  return marked;
}

/**
 * Links (or blobs) a chunk of a full GC covers: about 5-8 ms of CPU per transaction measured at
 * 10,000 images in one repository (2,000 took up to 15 ms), so a push waits that long at most.
 */
export const GC_CHUNK = 1000;

/** Where a walk over repository_blobs (in primary-key order) stopped. */
export interface LinkKey {
  repositoryId: number;
  digest: string;
}
export interface MarkedBlob {
  digest: string;
  size: number;
}
/** One chunk of phase 1: the links it dropped and the blobs it marked. */
export interface MarkStep {
  links: number;
  blobs: MarkedBlob[];
}

/** Before every link: repository ids start at 1. */
const FIRST_LINK: LinkKey = { repositoryId: 0, digest: '' };

/**
 * The chunk of links after `after`, as a key range over the primary key: `upTo` is its last
 * link, or null when fewer than `size` links are left (the range then runs to the end).
 */
async function linkChunkEnd(db: Db, after: LinkKey, size: number): Promise<LinkKey | null> {
  const row = await db
    .selectFrom('repository_blobs')
    .select(['repository_id as repositoryId', 'digest'])
    .where(sql<boolean>`(repository_id, digest) > (${after.repositoryId}, ${after.digest})`)
    .orderBy('repository_id')
    .orderBy('digest')
    .limit(1)
    .offset(size - 1)
    .executeTakeFirst();
  return row ?? null;
}

const inLinkRange =
  (after: LinkKey, upTo: LinkKey | null) => (eb: ExpressionBuilder<Database, 'repository_blobs'>) =>
    eb.and([
      eb(sql`(repository_id, digest)`, '>', sql`(${after.repositoryId}, ${after.digest})`),
      ...(upTo
        ? [eb(sql`(repository_id, digest)`, '<=', sql`(${upTo.repositoryId}, ${upTo.digest})`)]
        : []),
    ]);

/** The chunk of blobs after `after` (by digest), like linkChunkEnd. */
async function blobChunkEnd(db: Db, after: string, size: number): Promise<string | null> {
  const row = await db
    .selectFrom('blobs')
    .select('digest')
    .where('digest', '>', after)
    .orderBy('digest')
    .limit(1)
    .offset(size - 1)
    .executeTakeFirst();
  return row?.digest ?? null;
}

const inBlobRange =
  (after: string, upTo: string | null) => (eb: ExpressionBuilder<Database, 'blobs'>) =>
    eb.and([eb('blobs.digest', '>', after), ...(upTo ? [eb('blobs.digest', '<=', upTo)] : [])]);

/** Garbage collection over the whole store: what a scheduled or manual GC run works on. */
export function createGcStore(db: Db, chunkSize = GC_CHUNK) {
  return {
    /**
     * What a run would remove now, without changing anything. Read chunk by chunk like a run
     * walks, so no single query holds the event loop for long; the figures are an estimate
     * anyway, as pushes go on while it counts.
     */
    async plan(linkCutoff: number) {
      let staleLinks = 0;
      for (let after: LinkKey | null = FIRST_LINK; after;) {
        const upTo = await linkChunkEnd(db, after, chunkSize);
        const row = await db
          .selectFrom('repository_blobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(inLinkRange(after, upTo))
          .where('touched_at', '<', linkCutoff)
          .where(linkUnused)
          .executeTakeFirstOrThrow();
        staleLinks += Number(row.n);
        after = upTo;
      }
      // A blob goes when no manifest uses it and every link it has is stale (a link no
      // manifest uses is unused once no manifest uses the blob at all).
      let blobs = 0;
      let bytes = 0;
      for (let after: string | null = ''; after !== null;) {
        const upTo = await blobChunkEnd(db, after, chunkSize);
        const row = await db
          .selectFrom('blobs')
          .select((eb) => [
            eb.fn.countAll<number>().as('n'),
            eb.fn.coalesce(eb.fn.sum<number>('size'), eb.val(0)).as('bytes'),
          ])
          .where(inBlobRange(after, upTo))
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('manifest_blobs')
                  .select('manifest_blobs.blob_digest')
                  .whereRef('manifest_blobs.blob_digest', '=', 'blobs.digest'),
              ),
            ),
          )
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('repository_blobs')
                  .select('repository_blobs.digest')
                  .whereRef('repository_blobs.digest', '=', 'blobs.digest')
                  .where('repository_blobs.touched_at', '>=', linkCutoff),
              ),
            ),
          )
          .executeTakeFirstOrThrow();
        blobs += Number(row.n);
        bytes += Number(row.bytes);
        after = upTo;
      }
      return { staleLinks, blobs, bytes };
    },

    /**
     * Phase 1 over everything, one short transaction per chunk: first the stale links that
     * no manifest of their repository uses, then the blobs nothing references. Each step
     * yields what its chunk did; the caller removes the marked files (phase 2) before asking
     * for the next, and the database is free between steps.
     */
    async *mark(linkCutoff: number): AsyncGenerator<MarkStep> {
      for (let after: LinkKey | null = FIRST_LINK; after;) {
        const from: LinkKey = after;
        const { links, upTo } = await db.transaction().execute(async (trx) => {
          const end = await linkChunkEnd(trx, from, chunkSize);
          const dropped = await trx
            .deleteFrom('repository_blobs')
            .where(inLinkRange(from, end))
            .where('touched_at', '<', linkCutoff)
            .where(linkUnused)
            .executeTakeFirst();
          return { links: Number(dropped.numDeletedRows), upTo: end };
        });
        if (links > 0) yield { links, blobs: [] };
        after = upTo;
      }
      for (let after: string | null = ''; after !== null;) {
        const from: string = after;
        const { blobs, upTo } = await db.transaction().execute(async (trx) => {
          const end = await blobChunkEnd(trx, from, chunkSize);
          const rows = await trx
            .updateTable('blobs')
            .set({ deleting: 1 })
            .where(inBlobRange(from, end))
            .where('deleting', '=', 0)
            .where(blobUnreferenced)
            .returning(['digest', 'size'])
            .execute();
          return { blobs: rows, upTo: end };
        });
        if (blobs.length > 0) yield { links: 0, blobs };
        after = upTo;
      }
    },

    /** Rows a previous run marked but did not finish (it crashed or lost a file delete). */
    async marked(limit: number) {
      return db
        .selectFrom('blobs')
        .select(['digest', 'size'])
        .where('deleting', '=', 1)
        .limit(limit)
        .execute();
    },

    /** Phase 2: forget marked blobs whose files are gone. */
    async finishBlobDeletion(digests: readonly string[]) {
      for (const chunk of chunks(digests)) {
        await db
          .deleteFrom('blobs')
          .where('digest', 'in', chunk)
          .where('deleting', '=', 1)
          .execute();
      }
    },
  };
}
