import type { ExpressionBuilder } from 'kysely';
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
 */

const linkUsed = (eb: ExpressionBuilder<Database, 'repository_blobs'>) =>
  eb.exists(
    eb
      .selectFrom('manifest_blobs')
      .innerJoin('manifests', 'manifests.id', 'manifest_blobs.manifest_id')
      .select('manifest_blobs.manifest_id')
      .whereRef('manifests.repository_id', '=', 'repository_blobs.repository_id')
      .whereRef('manifest_blobs.blob_digest', '=', 'repository_blobs.digest'),
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

/** Garbage collection over the whole store: what a scheduled or manual GC run works on. */
export function createGcStore(db: Db) {
  return {
    /** What a run would remove now, without changing anything. */
    async plan(linkCutoff: number) {
      const staleLinks = await db
        .selectFrom('repository_blobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('touched_at', '<', linkCutoff)
        .where(linkUnused)
        .executeTakeFirstOrThrow();
      // A blob goes when no manifest uses it and every link it has is stale.
      const blobs = await db
        .selectFrom('blobs')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.coalesce(eb.fn.sum<number>('size'), eb.val(0)).as('bytes'),
        ])
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
                .where((l) =>
                  l.or([l('repository_blobs.touched_at', '>=', linkCutoff), linkUsed(l)]),
                ),
            ),
          ),
        )
        .executeTakeFirstOrThrow();
      return {
        staleLinks: Number(staleLinks.n),
        blobs: Number(blobs.n),
        bytes: Number(blobs.bytes),
      };
    },

    /** Phase 1 over everything, `limit` blobs at a time. */
    async markBatch(linkCutoff: number, limit: number) {
      return db.transaction().execute(async (trx) => {
        const links = await trx
          .deleteFrom('repository_blobs')
          .where('touched_at', '<', linkCutoff)
          .where(linkUnused)
          .executeTakeFirst();
        const rows = await trx
          .updateTable('blobs')
          .set({ deleting: 1 })
          .where('digest', 'in', (eb) =>
            eb
              .selectFrom('blobs')
              .select('digest')
              .where('deleting', '=', 0)
              .where(blobUnreferenced)
              .limit(limit),
          )
          .returning(['digest', 'size'])
          .execute();
        return { links: Number(links.numDeletedRows), blobs: rows };
      });
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
