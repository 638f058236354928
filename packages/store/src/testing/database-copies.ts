import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { openSqlite } from '../connect.js';
import { openPostgres } from '../postgres/connect.js';
import type { TestDatabase } from './engines.js';

/**
 * `count` new databases that each hold what `source` holds now, for tests that compare two
 * ways to the same end from equal starts; `source` is disposed of. SQLite copies with VACUUM
 * INTO; PostgreSQL creates each copy from `source` as its template, which needs `source`
 * closed first (a template must have no one connected).
 */
export async function copiesOfTestDatabase(
  source: TestDatabase,
  count: number,
): Promise<TestDatabase[]> {
  const copies: TestDatabase[] = [];
  if (source.url === null) {
    for (let i = 0; i < count; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-store-'));
      const file = path.join(dir, 'berth.db');
      await sql.raw(`VACUUM INTO '${file.replace(/'/g, "''")}'`).execute(source.handle.db);
      const handle = await openSqlite(file);
      copies.push({
        handle,
        url: null,
        dispose: async () => {
          await handle.close();
          await rm(dir, { recursive: true, force: true });
        },
      });
    }
    await source.dispose();
    return copies;
  }
  const adminUrl = inject('postgresUrl');
  if (!adminUrl) throw new Error('no PostgreSQL cluster was started for this run');
  await source.handle.close();
  const template = new URL(source.url).pathname.slice(1);
  for (let i = 0; i < count; i++) {
    const name = `${template}_copy_${i}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const handle = await openPostgres(url.toString(), { poolSize: 4 });
    copies.push({
      handle,
      url: url.toString(),
      dispose: async () => {
        await handle.close();
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    });
  }
  // Closing again is harmless; this drops the template.
  await source.dispose();
  return copies;
}
