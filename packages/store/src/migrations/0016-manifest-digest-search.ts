import type { Kysely } from 'kysely';

/**
 * The console's search finds images by a digest prefix across every repository the caller
 * sees. Without an index on the digest alone that is one seek per repository, each to a
 * different leaf of (repository_id, digest): 45 ms median and 290 ms p95 over 10,000
 * repositories for prefixes not seen before. Migration 0015 dropped the same index for what
 * its random keys cost bulk work; trashing and restoring never change a digest, so only
 * pushes and permanent deletes (namespace delete, trash purge) pay for it again (measured in
 * docs/benchmarks.md, "Search across the registry").
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('manifests_digest_search')
    .ifNotExists()
    .on('manifests')
    .column('digest')
    .execute();
}
