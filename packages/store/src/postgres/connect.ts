import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresDialect,
  PostgresDriver,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';
import { migrateToLatest } from '../migrations/index.js';
import type { StoreHandle } from '../store-handle.js';
import { preparingPool } from './prepared-statements.js';

/**
 * Every write transaction takes this transaction-scoped advisory lock first, so write
 * transactions run one at a time, as SQLite's BEGIN IMMEDIATE makes them: the store's
 * read-then-write transactions (counters, keyset fills, claims) were written for a single
 * writer and stay correct across any number of Berth processes. Reads outside transactions
 * and read-only transactions never wait for it. (An arbitrary constant: "berth" in ASCII.)
 */
export const WRITER_LOCK = 0x6265727468;

/** Connections per process; PostgreSQL's default max_connections (100) fits a few processes. */
const POOL_SIZE = 10;

/**
 * int8 (counts, sums of bigint columns as numeric, row ids, sizes, times in ms) as a JS
 * number, as SQLite gives them: every such value Berth stores is far below 2^53.
 */
const NUMBER_TYPES = new Set([20, 1700]);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (NUMBER_TYPES.has(oid)) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

class SingleWriterDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    if (settings.accessMode === 'read only') return;
    await connection.executeQuery(
      CompiledQuery.raw(`SELECT pg_advisory_xact_lock(${WRITER_LOCK})`),
    );
  }
}

class SingleWriterDialect extends PostgresDialect {
  private readonly pool: ReturnType<typeof preparingPool>;
  constructor(pool: pg.Pool) {
    const preparing = preparingPool(pool);
    super({ pool: preparing });
    this.pool = preparing;
  }

  override createDriver() {
    return new SingleWriterDriver({ pool: this.pool });
  }
}

export interface PostgresOptions {
  /** Connections this process may open (default 10). */
  poolSize?: number;
}

/** Opens (and migrates) the PostgreSQL database at `url`. */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<StoreHandle> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? POOL_SIZE,
    types,
    application_name: 'berth',
  });
  // An idle connection that the server drops (restart, failover) must not crash the process;
  // the pool replaces it on the next query.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new SingleWriterDialect(pool) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    engine: 'postgres',
    // PostgreSQL's autovacuum keeps its statistics; nothing to do between runs.
    optimize: async () => undefined,
    close: () => db.destroy(),
  };
}

/**
 * A small read-only pool on an already migrated database, for a worker thread that reads
 * beside the process's own pool (retention previews): numbers parsed as openPostgres does,
 * no migration, and every transaction read-only, so it can never take the writer lock.
 */
export function openPostgresReader(url: string, poolSize = 1): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    application_name: 'berth-worker',
    options: '-c default_transaction_read_only=on',
  });
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
