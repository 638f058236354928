import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../database.js';
import { registerIdSetFunction } from '../id-sets.js';
import { openPostgresReader } from '../postgres/connect.js';

/** Where a worker thread reads the metadata database from: it opens a connection of its own. */
export type WorkerDatabase = { sqliteFile: string } | { postgresUrl: string };

/**
 * A read-only connection for a worker thread. SQLite: WAL lets it read beside the server's
 * connection, with a small cache as a scan reads each index page once. PostgreSQL: two
 * connections of its own, so a preview's read ahead (evaluate.ts) does not queue the reads of
 * the batch being decided behind it.
 */
export function openWorkerDatabase(source: WorkerDatabase): Kysely<Database> {
  if ('postgresUrl' in source) return openPostgresReader(source.postgresUrl, 2);
  const raw = new SqliteDatabase(source.sqliteFile, { readonly: true, fileMustExist: true });
  raw.pragma('busy_timeout = 5000');
  raw.pragma('cache_size = -8192');
  registerIdSetFunction(raw);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
}
