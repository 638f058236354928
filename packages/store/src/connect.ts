import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import type { Database, Db } from './database.js';
import { migrateToLatest } from './migrations/index.js';
import { registerIdSetFunction } from './id-sets.js';
import { asStorageFull } from './storage-full.js';

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
  // Zero deleted rows where that costs no extra I/O: a purged project's wrapped data key
  // should not linger in free space (crypto-shredding).
  raw.pragma('secure_delete = FAST');
  registerIdSetFunction(raw);
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect(
      { database: withStatementCache(raw) },
      {
        raw,
        // SQLite's I/O errors are checked against the free space where its files live.
        dir: file === ':memory:' ? undefined : path.dirname(path.resolve(file)),
      },
    ),
  });
  await migrateToLatest(db);
  return {
    db,
    raw,
    close: async () => {
      await db.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely prepares every query afresh, and preparing costs more than running the indexed
 * lookups a registry pull makes (a manifest HEAD spent a tenth of its time there). The same
 * SQL text reuses its statement; better-sqlite3 runs one statement at a time and Berth never
 * streams results, so sharing them is safe. The oldest entry goes when the cache is full
 * (`IN (?, ?, …)` lists of every length would otherwise grow it without bound).
 */
function withStatementCache(raw: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = raw.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

interface ConnectionState {
  raw: SqliteDatabase.Database;
  dir: string | undefined;
}

/**
 * Transactions begin IMMEDIATE: they take the write lock up front, waiting (busy_timeout) for
 * another process to finish. A deferred transaction that read first would fail at its first
 * write with SQLITE_BUSY_SNAPSHOT whenever another process had written in between, which is
 * what happens when several server processes share one database file.
 *
 * A write that finds the disk full fails with StorageFullError (SQLITE_FULL, or an I/O error
 * while the disk has no room), which the server answers as "storage is full", not as a 500.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #state: ConnectionState;
  #wrapped: DatabaseConnection | null = null;

  constructor(config: ConstructorParameters<typeof SqliteDriver>[0], state: ConnectionState) {
    super(config);
    this.#state = state;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const { dir } = this.#state;
    this.#wrapped ??= {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        try {
          return await connection.executeQuery<R>(query);
        } catch (error) {
          throw asStorageFull(error, dir);
        }
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
    return this.#wrapped;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * SQLite rolls a transaction back by itself after some failures (SQLITE_FULL, SQLITE_IOERR,
   * SQLITE_NOMEM…). A second ROLLBACK then fails with "cannot rollback - no transaction is
   * active", and Kysely would throw that instead of the failure that caused it; so ROLLBACK runs
   * only while a transaction is open, and Kysely goes on to throw the original error.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#state.raw.inTransaction) return;
    try {
      await super.rollbackTransaction(connection);
    } catch (error) {
      if (this.#state.raw.inTransaction) throw error;
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  readonly #state: ConnectionState;
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], state: ConnectionState) {
    super(config);
    this.#config = config;
    this.#state = state;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#state);
  }
}
