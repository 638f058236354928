import { type Kysely, sql } from 'kysely';

/**
 * The first start of a data directory (database, regions, first admin, demo registry) is
 * recorded as finished only once all of it is done, so a start that finds the database without
 * this record knows the one before it died half-way and does it again. A database that any
 * earlier Berth already started on (it has a region, a namespace or a user) counts as finished:
 * throwing away a deployment would be far worse than missing a demo.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('first_start')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('completed_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`
    INSERT INTO first_start (id, completed_at)
    SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM regions)
      OR EXISTS (SELECT 1 FROM namespaces)
      OR EXISTS (SELECT 1 FROM users)`.execute(db);
}
