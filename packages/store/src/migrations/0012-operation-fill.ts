import type { Kysely } from 'kysely';

/**
 * An operation's set can be filled after the operation is recorded, in pieces of their own
 * transaction (a set of 100,000 images inserted in one held the write lock for half a
 * second): `fill` says where the filling has got to (JSON { part, after }), null once the set
 * is complete. Each piece commits its rows with the position, so a crash resumes the filling
 * where it stopped. Rows written before this migration are complete sets (null).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('operations').addColumn('fill', 'text').execute();
}
