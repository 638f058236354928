import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openSqlite } from '../connect.js';
import { openPostgres } from '../postgres/connect.js';
import type { StoreHandle } from '../store-handle.js';
import { createStore } from '../store.js';
import { testEngines } from '../testing/engines.js';
import { createTestDatabase } from '../testing/postgres.js';
import { migrateTo } from './index.js';

const T0 = Date.UTC(2026, 0, 1);

/**
 * A database as 0022 left it, with a saved policy, is opened by this Berth (which migrates it):
 * the policy reads and runs as before, with the scan protection off. On both engines, each
 * from its own migration path.
 */
describe.each(testEngines())('0023 on %s', (engine) => {
  it('keeps a saved policy as it was, with the scan protection off, and stores it from then on', async () => {
    const cleanup: (() => Promise<unknown>)[] = [];
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let older: Kysely<any>;
      let open: () => Promise<StoreHandle>;
      if (engine === 'sqlite') {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-0023-'));
        cleanup.push(() => rm(dir, { recursive: true, force: true }));
        const file = path.join(dir, 'berth.db');
        older = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(file) }) });
        open = () => openSqlite(file);
      } else {
        const database = await createTestDatabase(inject('postgresUrl') ?? '', { empty: true });
        cleanup.push(() => database.drop());
        older = new Kysely({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
        });
        open = () => openPostgres(database.url, { poolSize: 2 });
      }
      await migrateTo(older, '0022-vulnerabilities');
      await sql`INSERT INTO regions (name, created_at) VALUES ('local', ${T0})`.execute(older);
      await sql`INSERT INTO namespaces (name, region, created_at)
        VALUES ('team', 'local', ${T0})`.execute(older);
      await sql`INSERT INTO retention_policies (namespace_id, keep_count, retain_untagged,
          exclude_tags, exclude_repositories, enabled, daily_at, next_run_at, updated_at, updated_by)
        SELECT id, 5, 1, '["latest"]', '[]', 1, '03:00', ${T0 + 1000}, ${T0}, 'someone'
        FROM namespaces WHERE name = 'team'`.execute(older);
      await older.destroy();

      const handle = await open();
      cleanup.unshift(() => handle.close());
      const store = createStore(handle.db);
      const policy = await store.retention.getPolicy('team');
      expect(policy).toMatchObject({
        rules: {
          keepCount: 5,
          retainUntagged: true,
          excludeTags: ['latest'],
          excludeRepositories: [],
          protectUnscannedDays: null,
        },
        enabled: true,
        dailyAt: '03:00',
        updatedBy: 'someone',
      });
      await store.retention.savePolicy(
        'team',
        { ...policy!, rules: { ...policy!.rules, protectUnscannedDays: 30 } },
        { actor: 'someone', now: T0 + 10 },
      );
      expect((await store.retention.getPolicy('team'))?.rules.protectUnscannedDays).toBe(30);
    } finally {
      for (const step of cleanup) await step();
    }
  });
});
