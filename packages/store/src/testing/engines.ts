import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { type BulkLoadOptions, bulkLoadSynthetic } from '../bulk-load.js';
import { bulkLoadSyntheticPostgres } from '../bulk-load-postgres.js';
import { type SqliteHandle, openSqlite } from '../connect.js';
import type { Db } from '../database.js';
import { openPostgres } from '../postgres/connect.js';
import type { Engine, StoreHandle } from '../store-handle.js';
import { createTestDatabase, postgresUnavailable } from './postgres.js';

/**
 * The engines a store test runs on: SQLite always, PostgreSQL when this run started a
 * cluster (postgres-global-setup.ts). CI installs PostgreSQL, and there a missing cluster
 * fails instead of skipping.
 */
export function testEngines(): Engine[] {
  const url = inject('postgresUrl');
  if (url === null && process.env.CI) {
    throw new Error(
      `CI needs PostgreSQL for the store tests: ${postgresUnavailable() ?? 'it did not start'}`,
    );
  }
  return url === null ? ['sqlite'] : ['sqlite', 'postgres'];
}

export interface TestDatabase {
  handle: StoreHandle;
  /** For PostgreSQL, the database's URL (for a second connection or another process). */
  url: string | null;
  dispose(): Promise<void>;
}

/** A new, empty, migrated database on `engine`, for one test. */
export async function openTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-store-'));
    const handle = await openSqlite(path.join(dir, 'berth.db'));
    return {
      handle,
      url: null,
      dispose: async () => {
        await handle.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = inject('postgresUrl');
  if (!adminUrl) throw new Error('no PostgreSQL cluster was started for this run');
  const database = await createTestDatabase(adminUrl);
  const handle = await openPostgres(database.url, { poolSize: 4 });
  return {
    handle,
    url: database.url,
    dispose: async () => {
      await handle.close();
      await database.drop();
    },
  };
}

/** Rows of a hand-written query, on either engine: tests check state with plain SQL. */
export async function selectRows<T = Record<string, unknown>>(db: Db, text: string): Promise<T[]> {
  return (await sql.raw<T>(text).execute(db)).rows;
}

/** bulkLoadSynthetic's dataset, written into a test database of either engine. */
export async function loadSynthetic(
  database: TestDatabase,
  options: BulkLoadOptions,
): Promise<void> {
  if (database.handle.engine === 'sqlite') {
    bulkLoadSynthetic((database.handle as SqliteHandle).raw, options);
  } else {
    await bulkLoadSyntheticPostgres(database.handle.db, options);
  }
}
