import type { Kysely } from 'kysely';

/**
 * A run restore takes the run's trash entries newest deletion first, a chunk at a time, each
 * chunk starting where the last one stopped. With `trash_retention_run (retention_run_id)`
 * each chunk read every remaining entry of the run and sorted them (a temp B-tree over
 * 900,000 rows for a first cleanup of a million images); in this order a chunk reads its own
 * rows and no others. The old index is a prefix of this one, so it goes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('trash_retention_run_deleted')
    .on('trash_entries')
    .columns(['retention_run_id', 'deleted_at', 'id'])
    .execute();
  await db.schema.dropIndex('trash_retention_run').execute();
}
