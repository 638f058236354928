import type { Kysely } from 'kysely';

/**
 * Failed sign-ins, per throttle key (an account or a client address) with their time: the
 * throttle counts them here so that every Berth process on a database sees the same count
 * (issue 16). Rows older than the throttle's window are deleted as new failures arrive.
 * Portable schema: this migration runs on SQLite and PostgreSQL alike.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_failures_key')
    .on('sign_in_failures')
    .columns(['key', 'at'])
    .execute();
  await db.schema.createIndex('sign_in_failures_at').on('sign_in_failures').column('at').execute();
}
