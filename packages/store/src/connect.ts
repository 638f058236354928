import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database, Db } from './database.js';
import { migrateToLatest } from './migrations/index.js';

export interface SqliteHandle {
  db: Db;
  /** The raw connection, for bulk loaders that bypass the query builder. */
  raw: SqliteDatabase.Database;
  close(): Promise<void>;
}

export async function openSqlite(file: string): Promise<SqliteHandle> {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
  // the last transactions, never corrupt the file.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  await migrateToLatest(db);
  return {
    db,
    raw,
    close: async () => {
      await db.destroy();
    },
  };
}
