import type { Kysely } from 'kysely';

/**
 * Issue 17: a scan may complete without reading everything it wanted (a package database
 * larger than the scanner keeps, or stored as a sparse file); the result says so, as a JSON
 * array of sentences, so nobody takes "no findings" for "nothing there". Null for results
 * stored before. Portable: both engines.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('scan_results').addColumn('notes', 'text').execute();
}
