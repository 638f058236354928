import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openSqlite } from '../connect.js';
import { openPostgres } from '../postgres/connect.js';
import { createTestDatabase } from '../testing/postgres.js';
import { checkTargetDatabaseEmpty, copyMetadata, holdSqliteExclusively } from './copy-metadata.js';

/*
 * A row a migration seeds into an empty PostgreSQL (as 0025 once did with its one-row
 * image_data_encryption setting) must not make `berth migrate` or `berth restore` fail with a
 * duplicate key: the source's row replaces it. Real SQLite file, real PostgreSQL.
 */
const postgresUrl = inject('postgresUrl');
const cleanups: (() => Promise<unknown> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!postgresUrl)('copyMetadata', () => {
  it("replaces the rows a target's migrations seeded with the source's, in its one transaction", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-copy-metadata-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'berth.db');
    const sqlite = await openSqlite(file);
    await sql`DELETE FROM image_data_encryption`.execute(sqlite.db);
    await sql`INSERT INTO image_data_encryption (id, enabled, decided_at) VALUES (1, 1, 42)`.execute(
      sqlite.db,
    );
    await sqlite.close();

    const database = await createTestDatabase(postgresUrl!, { empty: true });
    cleanups.push(() => database.drop());
    await checkTargetDatabaseEmpty(database.url, 'the test database');
    const target = await openPostgres(database.url, { poolSize: 2 });
    cleanups.push(() => target.close());
    // What a seeding migration leaves in the freshly migrated target.
    await sql`DELETE FROM image_data_encryption`.execute(target.db);
    await sql`INSERT INTO image_data_encryption (id, enabled, decided_at) VALUES (1, 0, 0)`.execute(
      target.db,
    );

    const source = holdSqliteExclusively(file);
    cleanups.push(() => {
      source.close();
    });
    const copied = await copyMetadata(source, target.db);
    expect(copied.get('image_data_encryption')).toBe(1);
    const { rows } = await sql<{
      enabled: number;
      decided_at: string;
    }>`SELECT enabled, decided_at FROM image_data_encryption`.execute(target.db);
    expect(rows.map((r) => [Number(r.enabled), Number(r.decided_at)])).toEqual([[1, 42]]);
  }, 60_000);
});
