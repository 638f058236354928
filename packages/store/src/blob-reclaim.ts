import type { Db } from './database.js';

const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Deletes the metadata of every candidate blob that no manifest (live or in any trash)
 * links to and that is not itself a stored manifest, and returns those digests so the
 * caller removes the files after the transaction commits. A crash between the two leaves
 * only an orphan file, never a row pointing at a missing file.
 */
export async function reclaimUnreferencedBlobs(
  db: Db,
  candidates: Iterable<string>,
): Promise<string[]> {
  const unique = [...new Set(candidates)];
  const reclaimed: string[] = [];
  for (const chunk of chunks(unique)) {
    const rows = await db
      .selectFrom('blobs')
      .select('digest')
      .where('digest', 'in', chunk)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('manifest_blobs')
              .select('blob_digest')
              .whereRef('manifest_blobs.blob_digest', '=', 'blobs.digest'),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('manifests').select('id').whereRef('manifests.digest', '=', 'blobs.digest'),
          ),
        ),
      )
      .execute();
    const digests = rows.map((r) => r.digest);
    if (digests.length > 0) {
      await db.deleteFrom('blobs').where('digest', 'in', digests).execute();
      reclaimed.push(...digests);
    }
  }
  return reclaimed;
}
