import type { Kysely } from 'kysely';

/**
 * Issue 17: a retention policy may protect images whose newest successful scan is missing or
 * older than N days. The policy keeps N in a column of its own, null (off) for every policy
 * saved before, so existing policies run as they did. Previews and runs keep their rules as
 * JSON, where older rows simply lack the option (read as off).
 *
 * A preview with the option asks, for every image, when its newest complete result of its
 * digest was generated: `scan_results_newest` answers that with one seek and no row read (a
 * result's row carries its inventory, tens of kilobytes, so reading rows at a million images
 * would read gigabytes). Portable: both engines.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('retention_policies')
    .addColumn('protect_unscanned_days', 'integer')
    .execute();
  await db.schema
    .createIndex('scan_results_newest')
    .on('scan_results')
    .columns(['manifest_id', 'status', 'digest', 'generated_at'])
    .execute();
}
