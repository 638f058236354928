import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createGcStore, type MarkStep, reclaimUnreferencedBlobs } from './blob-reclaim.js';
import { bulkLoadSynthetic } from './bulk-load.js';
import { bulkLoadSyntheticPostgres } from './bulk-load-postgres.js';
import { openSqlite } from './connect.js';
import type { Database, Db } from './database.js';
import type { Engine } from './store-handle.js';
import { openTestDatabase, selectRows, testEngines } from './testing/engines.js';

const NOW = Date.UTC(2026, 0, 15);
const DAY = 86_400_000;
const OLD = NOW - 2 * DAY;
const CUTOFF = NOW - DAY;

let dir: string | null = null;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/**
 * What GC works on beside the synthetic images: every repository holds day-old links to what
 * its manifests use, then a fifth of the images go (their own layers' links become unused),
 * and beside them: links to layers only other repositories use, abandoned uploads (stale and
 * fresh links to blobs no manifest names) and blobs nothing links.
 */
async function prepareForGc(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO repository_blobs (repository_id, digest, touched_at)
      SELECT DISTINCT m.repository_id, mb.blob_digest, CAST(${OLD} AS bigint) FROM manifest_blobs mb
      JOIN manifests m ON m.id = mb.manifest_id`.execute(trx);
    await sql`DELETE FROM manifests WHERE id % 5 = 0`.execute(trx);
    const repos = (
      await selectRows<{ id: number }>(trx, 'SELECT id FROM repositories ORDER BY id')
    ).map((r) => r.id);
    // Links of each repository to layers that only the next repository's manifests use.
    await sql`
      INSERT INTO repository_blobs (repository_id, digest, touched_at)
      SELECT ${repos[0]}, mb.blob_digest, ${OLD} FROM manifest_blobs mb
      JOIN manifests m ON m.id = mb.manifest_id
      WHERE m.repository_id = ${repos[1]} LIMIT 40
      ON CONFLICT DO NOTHING`.execute(trx);
    const digests = Array.from({ length: 300 }, (_, i) => `sha256:${String(i).padStart(64, 'e')}`);
    await trx
      .insertInto('blobs')
      .values(
        digests.map((digest, i) => ({ digest, size: 1000 + i, media_type: null, created_at: OLD })),
      )
      .execute();
    // A third abandoned long ago, a third still fresh, a third never linked at all.
    const links = digests.flatMap((digest, i) =>
      i % 3 === 2
        ? []
        : [
            {
              repository_id: repos[i % repos.length]!,
              digest,
              touched_at: i % 3 === 0 ? OLD : NOW,
            },
          ],
    );
    await trx.insertInto('repository_blobs').values(links).execute();
  });
}

/** A registry with `images` synthetic images, `big` of them in one repository sharing layers. */
async function gcDataset(images: number, big: number, repositories = 4): Promise<string> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gc-'));
  const file = path.join(dir, 'berth.db');
  const handle = await openSqlite(file);
  bulkLoadSynthetic(handle.raw, { ...datasetOptions(images, big, repositories) });
  await prepareForGc(handle.db);
  await handle.close();
  return file;
}

const datasetOptions = (images: number, big: number, repositories: number) => ({
  namespaces: 1,
  repositoriesPerNamespace: repositories,
  images,
  bigRepositoryImages: big,
  region: 'local',
  now: NOW,
  seed: 3,
});

/** The rows of phase 1 by the rule itself, worked out in plain code from the tables. */
async function expectedByRule(db: Db) {
  const used = new Set(
    (
      await selectRows<{ r: number; d: string }>(
        db,
        `SELECT DISTINCT m.repository_id AS r, mb.blob_digest AS d FROM manifest_blobs mb
         JOIN manifests m ON m.id = mb.manifest_id`,
      )
    ).map(({ r, d }) => `${r} ${d}`),
  );
  const links = await selectRows<{ r: number; d: string; t: number }>(
    db,
    'SELECT repository_id AS r, digest AS d, touched_at AS t FROM repository_blobs',
  );
  const dropped = links.filter((l) => l.t < CUTOFF && !used.has(`${l.r} ${l.d}`));
  const droppedKeys = new Set(dropped.map((l) => `${l.r} ${l.d}`));
  const referenced = new Set([
    ...(await selectRows<{ d: string }>(db, 'SELECT blob_digest AS d FROM manifest_blobs')).map(
      (r) => r.d,
    ),
    ...links.filter((l) => !droppedKeys.has(`${l.r} ${l.d}`)).map((l) => l.d),
  ]);
  const blobs = await selectRows<{ digest: string; size: number }>(
    db,
    'SELECT digest, size FROM blobs WHERE deleting = 0',
  );
  const marked = blobs.filter((b) => !referenced.has(b.digest));
  return {
    droppedLinks: [...droppedKeys].sort(),
    marked: marked.map((b) => b.digest).sort(),
    bytes: marked.reduce((s, b) => s + b.size, 0),
  };
}

async function linkKeys(db: Db): Promise<Set<string>> {
  return new Set(
    (
      await selectRows<{ r: number; d: string }>(
        db,
        'SELECT repository_id AS r, digest AS d FROM repository_blobs',
      )
    ).map(({ r, d }) => `${r} ${d}`),
  );
}

/** The database as a Berth that never ran ANALYZE sees it: no statistics at all. */
function withoutStatistics(file: string) {
  const raw = new SqliteDatabase(file);
  raw.exec('DROP TABLE IF EXISTS sqlite_stat1');
  raw.exec('DROP TABLE IF EXISTS sqlite_stat4');
  raw.close();
  const reopened = new SqliteDatabase(file);
  reopened.pragma('foreign_keys = ON');
  const statements = new Map<string, readonly unknown[]>();
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: reopened }),
    log: (event) => {
      if (event.level === 'query') statements.set(event.query.sql, event.query.parameters);
    },
  });
  return { raw: reopened, db, statements };
}

/**
 * The scale test's database: on SQLite without statistics (as a Berth that never ran ANALYZE
 * sees it); PostgreSQL keeps its own.
 */
async function scaleDataset(
  engine: Engine,
  images: number,
  big: number,
  repositories: number,
): Promise<{ db: Db; close(): Promise<void> }> {
  if (engine === 'sqlite') {
    const { db } = withoutStatistics(await gcDataset(images, big, repositories));
    return { db, close: () => db.destroy() };
  }
  const database = await openTestDatabase('postgres');
  await bulkLoadSyntheticPostgres(database.handle.db, datasetOptions(images, big, repositories));
  await prepareForGc(database.handle.db);
  return { db: database.handle.db, close: () => database.dispose() };
}

describe.each(testEngines())('GC phase 1 at scale on %s', (engine) => {
  // Many repositories: the abandoned links spread over all of them, so the lists of links that
  // are checked one by one end at their limit on repositories, not only on links.
  it.each([
    { images: 3600, big: 3000, repositories: 4 },
    { images: 2400, big: 0, repositories: 120 },
  ])(
    'drops exactly the stale unused links and marks exactly the unreferenced blobs, chunk by chunk ($repositories repositories)',
    async ({ images, big, repositories }) => {
      const { db, close } = await scaleDataset(engine, images, big, repositories);
      try {
        const expected = await expectedByRule(db);
        // The dataset exercises every case: kept and dropped links, marked and kept blobs.
        expect(expected.droppedLinks.length).toBeGreaterThan(500);
        expect(expected.marked.length).toBeGreaterThan(500);
        expect((await linkKeys(db)).size - expected.droppedLinks.length).toBeGreaterThan(1000);

        // A chunk size that divides nothing, so chunks end mid-repository and mid-run.
        const gc = createGcStore(db, 257);
        expect(await gc.plan(CUTOFF)).toEqual({
          staleLinks: expected.droppedLinks.length,
          blobs: expected.marked.length,
          bytes: expected.bytes,
        });
        const before = await linkKeys(db);
        const steps: MarkStep[] = [];
        for await (const step of gc.mark(CUTOFF)) steps.push(step);
        const after = await linkKeys(db);
        expect([...before].filter((k) => !after.has(k)).sort()).toEqual(expected.droppedLinks);
        expect(steps.reduce((n, s) => n + s.links, 0)).toBe(expected.droppedLinks.length);
        expect(steps.flatMap((s) => s.blobs.map((b) => b.digest)).sort()).toEqual(expected.marked);
        expect(
          (await selectRows<{ digest: string }>(db, 'SELECT digest FROM blobs WHERE deleting = 1'))
            .map((r) => r.digest)
            .sort(),
        ).toEqual(expected.marked);
        // Links to blobs nothing uses went before the blobs were looked at, as before.
        expect(steps.findIndex((s) => s.blobs.length > 0)).toBeGreaterThan(
          steps.findLastIndex((s) => s.links > 0),
        );
        expect(await gc.plan(CUTOFF)).toMatchObject({ staleLinks: 0 });
      } finally {
        await close();
      }
    },
  );
});

// Query plans are SQLite's: PostgreSQL plans by the statistics its autovacuum keeps.
describe('GC phase 1 on sqlite', () => {
  it('checks each link through indexes, with no statistics gathered', async () => {
    const file = await gcDataset(400, 300);
    const { raw, db, statements } = withoutStatistics(file);
    try {
      const gc = createGcStore(db, 50);
      await gc.plan(CUTOFF);
      for await (const step of gc.mark(CUTOFF)) void step;
      const digests = raw.prepare('SELECT blob_digest FROM manifest_blobs LIMIT 20').pluck().all();
      await db
        .transaction()
        .execute((trx) => reclaimUnreferencedBlobs(trx, digests as string[], CUTOFF));
      expect(
        raw.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").pluck().get(),
      ).toBe(0);

      const linkChecks = [...statements].filter(([sql]) => /cross join "manifests"/.test(sql));
      // plan, each chunk of mark (bounded and last), and reclaimUnreferencedBlobs.
      expect(linkChecks.length).toBeGreaterThanOrEqual(4);
      for (const [sql, parameters] of statements) {
        if (/^(begin|commit|rollback)/i.test(sql)) continue;
        const plan = (
          raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]
        ).map((r) => r.detail);
        // Never a pass over a table of manifests or their blobs, per link or at all.
        expect(plan.filter((line) => /^SCAN /.test(line))).toEqual([]);
        if (/cross join "manifests"/.test(sql)) {
          // The digest's manifests, within the repository's id range, then each by id.
          expect(plan).toContain(
            'SEARCH manifest_blobs USING COVERING INDEX manifest_blobs_blob (blob_digest=? AND manifest_id>? AND manifest_id<?)',
          );
          expect(plan.filter((line) => / r USING /.test(line))).not.toHaveLength(0);
          expect(
            plan.every((line) => !/ r USING/.test(line) || /manifests_repository_id/.test(line)),
          ).toBe(true);
        }
      }
    } finally {
      await db.destroy();
    }
  });
});
