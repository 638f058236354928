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

/** Where a walk over manifests by (repository_id, id) stopped. */
interface ManifestKey {
  repositoryId: number;
  id: number;
}

/**
 * Lets requests run between the reads and transactions of a GC: the SQLite driver answers
 * synchronously, so a run that only awaited queries would hold the event loop to its end.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The last manifest of the `size` after `after` in (repository_id, id) order, or null at the end. */
async function manifestPieceEnd(
  db: Db,
  after: ManifestKey,
  size: number,
): Promise<ManifestKey | null> {
  const row = await db
    .selectFrom('manifests')
    .select(['repository_id as repositoryId', 'id'])
    .where(sql<boolean>`(repository_id, id) > (${after.repositoryId}, ${after.id})`)
    .orderBy('repository_id')
    .orderBy('id')
    .limit(1)
    .offset(size - 1)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Links that no manifest of their repository used when read, in primary-key order and
 * in lists of at most `size` (and LIST_REPOSITORIES): the only links phase 1 then checks one by one. Found set-based,
 * as a merge of two ordered walks by repository: the digests each repository's manifests use
 * (manifests_repository_id, then each manifest's blobs by primary key) and the links
 * themselves; a repository's links are judged once the manifest walk has passed it. That
 * reads every manifest_blobs row and every link once, in index order, instead of seeking
 * manifest_blobs_blob per link (about 10 µs each, 22 s for the 2.1 million links at 1,000,000
 * images). The reads are single statements outside any transaction (the reader connection),
 * a few milliseconds each; what changes meanwhile is caught by the per-link check that drops
 * a link, in the transaction that drops it. Their age is left to that check too: the walk
 * reads the primary-key index alone, where touched_at would cost a table read per link.
 */
/**
 * Repositories one list of candidates spans at most: amongLinks ORs one term per repository,
 * and 500 of them (links scattered two per repository) took 20-80 ms to plan and run.
 */
const LIST_REPOSITORIES = 50;

async function* unusedLinkCandidates(db: Db, size: number): AsyncGenerator<LinkKey[]> {
  const used = new Map<number, Set<string>>();
  let manifestsAfter: ManifestKey | null = { repositoryId: 0, id: 0 };
  let linksAfter: LinkKey = FIRST_LINK;
  let pending: LinkKey[] = [];
  let pendingRepositories = 1;
  for (let walking = true; walking;) {
    // Repositories below `complete` have had all their manifests read.
    let complete = Number.MAX_SAFE_INTEGER;
    if (manifestsAfter) {
      const from: ManifestKey = manifestsAfter;
      const end = await manifestPieceEnd(db, from, size);
      const rows = await db
        .selectFrom('manifests')
        .crossJoin('manifest_blobs')
        .select(['manifests.repository_id as repositoryId', 'manifest_blobs.blob_digest as digest'])
        .where(inManifestRange(from, end))
        .whereRef('manifest_blobs.manifest_id', '=', 'manifests.id')
        .execute();
      for (const { repositoryId, digest } of rows) {
        let digests = used.get(repositoryId);
        if (!digests) used.set(repositoryId, (digests = new Set()));
        digests.add(digest);
      }
      manifestsAfter = end;
      if (end) complete = end.repositoryId;
      await nextTurn();
    } else walking = false;
    for (;;) {
      const after: LinkKey = linksAfter;
      const links = await db
        .selectFrom('repository_blobs')
        .select(['repository_id as repositoryId', 'digest'])
        .where(sql<boolean>`(repository_id, digest) > (${after.repositoryId}, ${after.digest})`)
        .where('repository_id', '<', complete)
        .orderBy('repository_id')
        .orderBy('digest')
        .limit(size)
        .execute();
      for (const { repositoryId, digest } of links) {
        if (used.get(repositoryId)?.has(digest)) continue;
        if (pending.length > 0 && pending.at(-1)!.repositoryId !== repositoryId) {
          pendingRepositories += 1;
        }
        pending.push({ repositoryId, digest });
        if (pending.length >= size || pendingRepositories >= LIST_REPOSITORIES) {
          yield pending;
          pending = [];
          pendingRepositories = 1;
        }
      }
      const last = links.at(-1);
      if (last) linksAfter = { repositoryId: last.repositoryId, digest: last.digest };
      if (links.length < size) break;
      await nextTurn();
    }
    for (const repositoryId of used.keys()) if (repositoryId < complete) used.delete(repositoryId);
  }
  if (pending.length > 0) yield pending;
}

/**
 * Manifests after `from` up to `end` (to the end when null) in (repository_id, id) order. Not
 * a row-value range: SQLite bounds such a pair of comparisons by repository_id alone, which
 * read a 100,000-image repository whole for each piece of it.
 */
const inManifestRange =
  (from: ManifestKey, end: ManifestKey | null) =>
  (eb: ExpressionBuilder<Database, 'manifests'>) => {
    const repository = eb.ref('manifests.repository_id');
    const id = eb.ref('manifests.id');
    if (end === null) {
      return eb.or([
        eb.and([eb(repository, '=', from.repositoryId), eb(id, '>', from.id)]),
        eb(repository, '>', from.repositoryId),
      ]);
    }
    if (end.repositoryId === from.repositoryId) {
      return eb.and([
        eb(repository, '=', from.repositoryId),
        eb(id, '>', from.id),
        eb(id, '<=', end.id),
      ]);
    }
    return eb.or([
      eb.and([eb(repository, '=', from.repositoryId), eb(id, '>', from.id)]),
      eb.and([eb(repository, '>', from.repositoryId), eb(repository, '<', end.repositoryId)]),
      eb.and([eb(repository, '=', end.repositoryId), eb(id, '<=', end.id)]),
    ]);
  };

/** The given links, by repository: its primary key finds each. */
const amongLinks =
  (links: readonly LinkKey[]) => (eb: ExpressionBuilder<Database, 'repository_blobs'>) => {
    const byRepository = new Map<number, string[]>();
    for (const { repositoryId, digest } of links) {
      const digests = byRepository.get(repositoryId);
      if (digests) digests.push(digest);
      else byRepository.set(repositoryId, [digest]);
    }
    return eb.or(
      [...byRepository].map(([repositoryId, digests]) =>
        eb.and([eb('repository_id', '=', repositoryId), eb('digest', 'in', digests)]),
      ),
    );
  };

/**
 * The chunk of blobs after `after` (by digest): `upTo` is its last blob, or null when fewer than
 * `size` are left (the range then runs to the end).
 */
/** The last digest of the next `size` blobs after `after` (null: the rest is one chunk). */
export async function blobChunkEnd(db: Db, after: string, size: number): Promise<string | null> {
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

export const inBlobRange =
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
      for await (const candidates of unusedLinkCandidates(db, chunkSize)) {
        const row = await db
          .selectFrom('repository_blobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(amongLinks(candidates))
          .where('touched_at', '<', linkCutoff)
          .where(linkUnused)
          .executeTakeFirstOrThrow();
        staleLinks += Number(row.n);
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
        await nextTurn();
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
      for await (const candidates of unusedLinkCandidates(db, chunkSize)) {
        const links = await db.transaction().execute(async (trx) => {
          const dropped = await trx
            .deleteFrom('repository_blobs')
            .where(amongLinks(candidates))
            .where('touched_at', '<', linkCutoff)
            .where(linkUnused)
            .executeTakeFirst();
          return Number(dropped.numDeletedRows);
        });
        if (links > 0) yield { links, blobs: [] };
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
        await nextTurn();
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
