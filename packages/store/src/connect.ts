import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { StoreHandle } from './store-handle.js';
import { migrateToLatest } from './migrations/index.js';
import { registerIdSetFunction } from './id-sets.js';
import { ReaderConnection, ReadWriteSqliteDialect } from './read-write-driver.js';
import { optimizeStatistics, statisticsFingerprint } from './statistics.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export interface SqliteHandle extends StoreHandle {
  engine: 'sqlite';
  /** The raw writer connection, for bulk loaders that bypass the query builder. */
  raw: SqliteDatabase.Database;
}

/** Pages of SQLite's cache per connection (negative: KiB), so 64 MiB each. */
const CACHE_SIZE = -65536;

export interface OpenOptions {
  /**
   * WAL checkpoints on a worker thread instead of inside the commits of this process (see
   * wal-checkpointer.ts): for the server, whose event loop answers requests.
   */
  backgroundCheckpoints?: boolean;
}

export async function openSqlite(file: string, options: OpenOptions = {}): Promise<SqliteHandle> {
  const inMemory = file === ':memory:';
  if (!inMemory) fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
  // the last transactions, never corrupt the file.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma(`cache_size = ${CACHE_SIZE}`);
  // Zero deleted rows where that costs no extra I/O: a purged project's wrapped data key
  // should not linger in free space (crypto-shredding).
  raw.pragma('secure_delete = FAST');
  registerIdSetFunction(raw);
  const reader = inMemory ? null : new ReaderConnection(() => openReader(file));
  const checkpointer =
    options.backgroundCheckpoints && !inMemory ? startWalCheckpointer(raw, file) : null;
  const db = new Kysely<Database>({
    dialect: new ReadWriteSqliteDialect({
      writer: raw,
      reader,
      dir: inMemory ? undefined : path.dirname(path.resolve(file)),
      beforeTransaction: checkpointer ? () => checkpointer.settle() : undefined,
    }),
  });
  // Migrations (and the ANALYZE after them) run on the writer alone; the reader opens after
  // them, so it loads the schema and statistics they left.
  await migrateToLatest(db);
  reader?.open();
  return {
    db,
    engine: 'sqlite',
    raw,
    // PRAGMA optimize (see statistics.ts); the reader connection is opened afresh when that
    // changed the statistics, as it would keep planning with those it loaded first.
    optimize: async () => {
      const before = await statisticsFingerprint(db);
      await optimizeStatistics(db);
      if ((await statisticsFingerprint(db)) !== before) reader?.open();
    },
    close: async () => {
      // Statistics only speed later queries up: a full disk must not keep the database open.
      await optimizeStatistics(db).catch(() => undefined);
      // The writer closes last, so its close checkpoints whatever the worker had not.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * The connection that single reads outside a transaction use (see ReadWriteSqliteDialect).
 * Only the pragmas that matter to a reader apply: WAL is a property of the file, and foreign
 * keys, synchronous and secure_delete only concern writes.
 */
function openReader(file: string): SqliteDatabase.Database {
  const reader = new SqliteDatabase(file, { readonly: true });
  // A reader waits only while the WAL is being recovered or restarted, never for a writer.
  reader.pragma('busy_timeout = 5000');
  reader.pragma(`cache_size = ${CACHE_SIZE}`);
  registerIdSetFunction(reader);
  return reader;
}
