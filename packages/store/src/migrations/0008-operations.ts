import { type Kysely, sql } from 'kysely';

/**
 * Bulk work as recorded operations (issue 14): a repository or namespace delete, a retention
 * confirm, a restore of many images. The set an operation works on is fixed when it starts
 * (operation_items), so an image pushed while it runs is never part of it, and every chunk
 * commits on its own with the progress it made, so a crash resumes where the last chunk ended.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('operations')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (c) => c.notNull())
    // The name outlives the namespace (a namespace delete is itself an operation); the id is
    // what the work uses while the namespace exists. No foreign key: the row must survive.
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('namespace_id', 'integer')
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('actor', 'text', (c) => c.notNull())
    /** JSON the kind's chunk function reads (what to do); `progress` what it has done so far. */
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('progress', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('request_id', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    /** Which process works it and until when (renewed every chunk); a lapsed lease is taken over. */
    .addColumn('claimed_by', 'text')
    .addColumn('lease_until', 'bigint')
    .execute();
  await db.schema
    .createIndex('operations_state')
    .on('operations')
    .columns(['state', 'id'])
    .execute();
  await db.schema
    .createIndex('operations_namespace')
    .on('operations')
    .columns(['namespace', 'id'])
    .execute();
  // A namespace being deleted is hidden at once (renamed out of every name lookup and marked
  // here for the listings) while an operation deletes its contents in chunks.
  await db.schema
    .alterTable('namespaces')
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // WITHOUT ROWID: the rows are read and deleted in (operation_id, seq) ranges only.
  await sql`
    CREATE TABLE operation_items (
      operation_id integer NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
      seq integer NOT NULL,
      item_id integer NOT NULL,
      revision integer,
      PRIMARY KEY (operation_id, seq)
    ) WITHOUT ROWID`.execute(db);
}
