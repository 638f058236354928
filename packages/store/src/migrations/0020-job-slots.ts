import type { Kysely } from 'kysely';

/**
 * Periodic work that must run once per period across every Berth process on a database (GC):
 * the process that inserts a (job, slot) row first runs that slot; the others see the row and
 * skip it. Portable schema: this migration runs on SQLite and PostgreSQL alike.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job_slots')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('slot', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_slots_pk', ['job', 'slot'])
    .execute();
}
