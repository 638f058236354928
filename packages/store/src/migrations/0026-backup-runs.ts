import type { Kysely } from 'kysely';

/**
 * Runs of `berth backup` started by the schedule (issue 18): what the console shows as the
 * last successful backup, and the failures in words. The slot that made a scheduled run
 * exactly-once is in job_slots; this is the history. Portable schema (SQLite and PostgreSQL):
 * a text id, so neither engine's identity syntax is needed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('backup_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    /** running | succeeded | failed */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('backup_id', 'text')
    .addColumn('blobs', 'bigint')
    /** Database snapshot plus every blob the backup holds (shared blobs counted in full). */
    .addColumn('size_bytes', 'bigint')
    .addColumn('copied_bytes', 'bigint')
    .addColumn('pruned', 'bigint')
    .addColumn('error', 'text')
    /** The process running it (host:pid:random), named when its run is found dead. */
    .addColumn('owner', 'text')
    /**
     * Renewed while the run goes on; a `running` row past it belongs to a process that died,
     * and any process marks it failed (a row left `running` would say "in progress" forever).
     */
    .addColumn('lease_until', 'bigint')
    .execute();
  await db.schema
    .createIndex('backup_runs_started')
    .on('backup_runs')
    .column('started_at')
    .execute();
}
