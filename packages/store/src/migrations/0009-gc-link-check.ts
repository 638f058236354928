import type { Kysely } from 'kysely';

/**
 * GC asks, for each link of a repository, whether a manifest of that repository uses the
 * digest. It walks the digest's manifests (manifest_blobs_blob) only within the repository's
 * range of manifest ids, which this index answers in one step (min/max of `id` for a
 * repository); without it that range costs a pass over the repository's manifests per link.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('manifests_repository_id')
    .on('manifests')
    .columns(['repository_id', 'id'])
    .execute();
}
