import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createGcStore, type MarkStep, reclaimUnreferencedBlobs } from './blob-reclaim.js';
import { bulkLoadSynthetic } from './bulk-load.js';
import { openSqlite } from './connect.js';
import type { Database } from './database.js';

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
 * A registry with `images` synthetic images, `big` of them in one repository sharing layers,
 * set up for GC: every repository holds day-old links to what its manifests use, then a fifth
 * of the images go (their own layers' links become unused), and beside them: links to layers
 * only other repositories use, abandoned uploads (stale and fresh links to blobs no manifest
 * names) and blobs nothing links.
 */
async function gcDataset(images: number, big: number): Promise<string> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gc-'));
  const file = path.join(dir, 'berth.db');
  const handle = await openSqlite(file);
  bulkLoadSynthetic(handle.raw, {
    namespaces: 1,
    repositoriesPerNamespace: 4,
    images,
    bigRepositoryImages: big,
    region: 'local',
    now: NOW,
    seed: 3,
  });
  const raw = handle.raw;
  raw.transaction(() => {
    raw
      .prepare(
        `INSERT INTO repository_blobs (repository_id, digest, touched_at)
         SELECT DISTINCT m.repository_id, mb.blob_digest, ? FROM manifest_blobs mb
         JOIN manifests m ON m.id = mb.manifest_id`,
      )
      .run(OLD);
    raw.prepare('DELETE FROM manifests WHERE id % 5 = 0').run();
    const repos = raw.prepare('SELECT id FROM repositories ORDER BY id').pluck().all() as number[];
    // Links of each repository to layers that only the next repository's manifests use.
    raw
      .prepare(
        `INSERT OR IGNORE INTO repository_blobs (repository_id, digest, touched_at)
         SELECT ?, mb.blob_digest, ? FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
         WHERE m.repository_id = ? LIMIT 40`,
      )
      .run(repos[0], OLD, repos[1]);
    const blob = raw.prepare(
      'INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, NULL, ?)',
    );
    const link = raw.prepare(
      'INSERT INTO repository_blobs (repository_id, digest, touched_at) VALUES (?, ?, ?)',
    );
    for (let i = 0; i < 300; i++) {
      const digest = `sha256:${String(i).padStart(64, 'e')}`;
      blob.run(digest, 1000 + i, OLD);
      // A third abandoned long ago, a third still fresh, a third never linked at all.
      if (i % 3 === 0) link.run(repos[i % repos.length], digest, OLD);
      if (i % 3 === 1) link.run(repos[i % repos.length], digest, NOW);
    }
  })();
  await handle.close();
  return file;
}

/** The rows of phase 1 by the rule itself, worked out in plain code from the tables. */
function expectedByRule(raw: SqliteDatabase.Database) {
  const used = new Set(
    (
      raw
        .prepare(
          `SELECT DISTINCT m.repository_id AS r, mb.blob_digest AS d FROM manifest_blobs mb
           JOIN manifests m ON m.id = mb.manifest_id`,
        )
        .all() as { r: number; d: string }[]
    ).map(({ r, d }) => `${r} ${d}`),
  );
  const links = raw
    .prepare('SELECT repository_id AS r, digest AS d, touched_at AS t FROM repository_blobs')
    .all() as { r: number; d: string; t: number }[];
  const dropped = links.filter((l) => l.t < CUTOFF && !used.has(`${l.r} ${l.d}`));
  const droppedKeys = new Set(dropped.map((l) => `${l.r} ${l.d}`));
  const referenced = new Set([
    ...(raw.prepare('SELECT blob_digest FROM manifest_blobs').pluck().all() as string[]),
    ...links.filter((l) => !droppedKeys.has(`${l.r} ${l.d}`)).map((l) => l.d),
  ]);
  const blobs = raw.prepare('SELECT digest, size FROM blobs WHERE deleting = 0').all() as {
    digest: string;
    size: number;
  }[];
  const marked = blobs.filter((b) => !referenced.has(b.digest));
  return {
    droppedLinks: [...droppedKeys].sort(),
    marked: marked.map((b) => b.digest).sort(),
    bytes: marked.reduce((s, b) => s + b.size, 0),
  };
}

function linkKeys(raw: SqliteDatabase.Database): Set<string> {
  return new Set(
    (
      raw.prepare('SELECT repository_id AS r, digest AS d FROM repository_blobs').all() as {
        r: number;
        d: string;
      }[]
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

describe('GC phase 1 at scale', () => {
  it('drops exactly the stale unused links and marks exactly the unreferenced blobs, chunk by chunk', async () => {
    const file = await gcDataset(3600, 3000);
    const { raw, db } = withoutStatistics(file);
    try {
      const expected = expectedByRule(raw);
      // The dataset exercises every case: kept and dropped links, marked and kept blobs.
      expect(expected.droppedLinks.length).toBeGreaterThan(500);
      expect(expected.marked.length).toBeGreaterThan(500);
      expect(linkKeys(raw).size - expected.droppedLinks.length).toBeGreaterThan(1000);

      // A chunk size that divides nothing, so chunks end mid-repository and mid-run.
      const gc = createGcStore(db, 257);
      expect(await gc.plan(CUTOFF)).toEqual({
        staleLinks: expected.droppedLinks.length,
        blobs: expected.marked.length,
        bytes: expected.bytes,
      });
      const before = linkKeys(raw);
      const steps: MarkStep[] = [];
      for await (const step of gc.mark(CUTOFF)) steps.push(step);
      const after = linkKeys(raw);
      expect([...before].filter((k) => !after.has(k)).sort()).toEqual(expected.droppedLinks);
      expect(steps.reduce((n, s) => n + s.links, 0)).toBe(expected.droppedLinks.length);
      expect(steps.flatMap((s) => s.blobs.map((b) => b.digest)).sort()).toEqual(expected.marked);
      expect(
        (
          raw.prepare('SELECT digest FROM blobs WHERE deleting = 1').pluck().all() as string[]
        ).sort(),
      ).toEqual(expected.marked);
      // Links to blobs nothing uses went before the blobs were looked at, as before.
      expect(steps.findIndex((s) => s.blobs.length > 0)).toBeGreaterThan(
        steps.findLastIndex((s) => s.links > 0),
      );
      expect(await gc.plan(CUTOFF)).toMatchObject({ staleLinks: 0 });
    } finally {
      await db.destroy();
    }
  });

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
