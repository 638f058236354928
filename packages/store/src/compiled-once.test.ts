import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';
import { compiledOnce } from './compiled-once.js';
import { openPostgres } from './postgres/connect.js';
import type { StoreHandle } from './store-handle.js';
import { type TestDatabase, openTestDatabase, selectRows, testEngines } from './testing/engines.js';

let handle: SqliteHandle;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-compiled-once-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  await handle.db
    .insertInto('regions')
    .values([
      { name: 'eu', created_at: 1 },
      { name: 'us', created_at: 2 },
    ])
    .execute();
});

afterAll(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('compiledOnce', () => {
  it('runs with each call’s values in the placeholders’ places and keeps the constants', async () => {
    const db = handle.db;
    const region = compiledOnce<[string, number], { name: string; created_at: number }>(
      db,
      2,
      (name, after) =>
        db
          .selectFrom('regions')
          .select(['name', 'created_at'])
          .where('created_at', '>', after as unknown as number)
          .where('name', '!=', 'nowhere')
          .where('name', '=', name),
    );
    expect(await region('us', 1)).toEqual({ name: 'us', created_at: 2 });
    expect(await region('eu', 0)).toEqual({ name: 'eu', created_at: 1 });
    expect(await region('eu', 1)).toBeUndefined();
    // A value that looks like SQL is only ever a bound value.
    expect(await region("eu' or '1'='1", 0)).toBeUndefined();
  });

  it('refuses a query that does not bind every placeholder exactly once', () => {
    const db = handle.db;
    expect(() =>
      compiledOnce<[string, string], unknown>(db, 2, (name) =>
        db.selectFrom('regions').select('name').where('name', '=', name),
      ),
    ).toThrow(/placeholder 1 must be bound exactly once/);
  });
});

describe.runIf(testEngines().includes('postgres'))('compiledOnce on PostgreSQL', () => {
  let database: TestDatabase;
  let single: StoreHandle;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    // One connection, so the statements it has prepared are the ones the view lists.
    single = await openPostgres(database.url!, { poolSize: 1 });
    await single.db.insertInto('regions').values({ name: 'eu', created_at: 1 }).execute();
  });
  afterAll(async () => {
    await single.close();
    await database.dispose();
  });

  it('prepares the statement once per connection, as SQLite caches it', async () => {
    const db = single.db;
    const region = compiledOnce<[string], { name: string }>(db, 1, (name) =>
      db.selectFrom('regions').select('name').where('name', '=', name),
    );
    const prepared = () =>
      selectRows<{ name: string; statement: string }>(
        db,
        "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'berth\\_%'",
      );
    expect(await prepared()).toEqual([]);
    for (let i = 0; i < 7; i++) expect(await region('eu')).toEqual({ name: 'eu' });
    expect(await region('us')).toBeUndefined();
    const statements = await prepared();
    expect(statements).toHaveLength(1);
    expect(statements[0]!.statement).toContain('from "regions"');
    // Other queries stay unnamed: the connection keeps only the hot reads.
    await db.selectFrom('regions').select('created_at').execute();
    expect(await prepared()).toHaveLength(1);
  });
});
