import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkLoadSynthetic } from './bulk-load.js';
import { bulkLoadSyntheticPostgres } from './bulk-load-postgres.js';
import { counterMismatches } from './counter-check.js';
import { openTestDatabase, selectRows, testEngines } from './testing/engines.js';
import { openSqlite, type SqliteHandle } from './connect.js';
import { createStore, type Store } from './store.js';

const NOW = Date.UTC(2026, 0, 15);

describe('bulkLoadSynthetic', () => {
  let dir: string;
  let handle: SqliteHandle;
  let store: Store;
  let result: ReturnType<typeof bulkLoadSynthetic>;
  const progress: number[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bulk-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    result = bulkLoadSynthetic(handle.raw, {
      namespaces: 3,
      repositoriesPerNamespace: 20,
      images: 2000,
      bigRepositoryImages: 500,
      region: 'local',
      now: NOW,
      seed: 7,
      onProgress: (n) => progress.push(n),
    });
    store = createStore(handle.db);
  });

  afterAll(async () => {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const all = <T>(sql: string, ...params: unknown[]) =>
    handle.raw.prepare(sql).all(...params) as T[];
  const one = <T>(sql: string, ...params: unknown[]) => handle.raw.prepare(sql).get(...params) as T;

  it('writes the requested shape', () => {
    expect(result).toEqual({
      namespaces: 3,
      repositories: 60,
      images: 2000,
      bigRepository: 'bench-0001/big/monorepo',
    });
    expect(progress.at(-1)).toBe(2000);
    expect(one<{ n: number }>('SELECT COUNT(*) AS n FROM manifests').n).toBe(2000);
    expect(one<{ n: number }>('SELECT COUNT(*) AS n FROM repositories').n).toBe(60);
    expect(all<{ name: string }>('SELECT name FROM regions')).toEqual([{ name: 'local' }]);
    expect(
      one<{ n: number }>(
        `SELECT COUNT(*) AS n FROM manifests m JOIN repositories r ON r.id = m.repository_id
         JOIN namespaces n ON n.id = r.namespace_id
         WHERE n.name = 'bench-0001' AND r.name = 'big/monorepo'`,
      ).n,
    ).toBe(500);
    const bad = one<{ n: number }>(
      `SELECT COUNT(*) AS n FROM manifests WHERE digest NOT GLOB 'sha256:' || replace(hex(zeroblob(32)), '00', '[0-9a-f][0-9a-f]')
         OR top_level <> 1 OR listed <> 1 OR state <> 'live' OR created_sort <> coalesce(created_at, 0)
         OR pushed_at > ? OR created_sort > pushed_at`,
      NOW,
    );
    expect(bad.n).toBe(0);
    const tagged = one<{ n: number }>('SELECT COUNT(DISTINCT manifest_id) AS n FROM tags').n;
    expect(tagged / 2000).toBeGreaterThan(0.6);
    expect(tagged / 2000).toBeLessThan(0.8);
    expect(one<{ n: number }>('SELECT COUNT(*) AS n FROM manifest_blobs').n).toBe(6000);
    expect(
      one<{ n: number }>(
        'SELECT COUNT(*) AS n FROM manifest_blobs mb LEFT JOIN blobs b ON b.digest = mb.blob_digest WHERE b.digest IS NULL',
      ).n,
    ).toBe(0);
    expect(handle.raw.pragma('foreign_key_check')).toEqual([]);
    // Secondary indexes dropped for the load are back.
    const indexes = all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('manifests', 'tags', 'manifest_blobs')",
    ).map((r) => r.name);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'manifests_list_pushed',
        'manifests_list_created',
        'manifests_list_size',
        'tags_manifest',
        'manifest_blobs_blob',
      ]),
    );
  });

  it('is deterministic for a seed', async () => {
    const other = await openSqlite(':memory:');
    try {
      bulkLoadSynthetic(other.raw, {
        namespaces: 3,
        repositoriesPerNamespace: 20,
        images: 2000,
        bigRepositoryImages: 500,
        region: 'local',
        now: NOW,
        seed: 7,
      });
      const q = 'SELECT digest, size_bytes, pushed_at FROM manifests ORDER BY id';
      expect(other.raw.prepare(q).all()).toEqual(handle.raw.prepare(q).all());
    } finally {
      await other.close();
    }
  });

  it('sets repository counters from the rows', () => {
    const mismatches = all(
      `SELECT r.id FROM repositories r
       LEFT JOIN (SELECT repository_id, COUNT(*) AS n, SUM(size_bytes) AS s, MAX(pushed_at) AS p
                  FROM manifests WHERE listed = 1 GROUP BY repository_id) m
         ON m.repository_id = r.id
       WHERE r.image_count <> coalesce(m.n, 0) OR r.size_bytes <> coalesce(m.s, 0)
          OR r.last_pushed_at <> coalesce(m.p, 0)`,
    );
    expect(mismatches).toEqual([]);
  });

  it('sets namespace counters from the rows', () => {
    const rows = all<Record<string, number | string>>(
      `SELECT n.name, n.repository_count, n.image_count, n.size_bytes, n.trash_count,
              n.trash_size_bytes,
              (SELECT COUNT(*) FROM repositories r WHERE r.namespace_id = n.id AND r.image_count > 0) AS real_repos,
              (SELECT COUNT(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id
                 WHERE r.namespace_id = n.id AND m.listed = 1) AS real_images,
              (SELECT coalesce(SUM(m.size_bytes), 0) FROM manifests m JOIN repositories r ON r.id = m.repository_id
                 WHERE r.namespace_id = n.id AND m.listed = 1) AS real_bytes
       FROM namespaces n ORDER BY n.name`,
    );
    expect(rows.map((r) => r.name)).toEqual(['bench-0001', 'bench-0002', 'bench-0003']);
    for (const r of rows) {
      expect(r.repository_count).toBe(r.real_repos);
      expect(r.image_count).toBe(r.real_images);
      expect(r.size_bytes).toBe(r.real_bytes);
      expect(r.trash_count).toBe(0);
      expect(r.trash_size_bytes).toBe(0);
    }
    expect(rows.reduce((s, r) => s + Number(r.image_count), 0)).toBe(2000);
  });

  it('lists namespaces with the counters', async () => {
    const page = await store.namespaces.list({ limit: 50 });
    expect(page.items.map((n) => n.name)).toEqual(['bench-0001', 'bench-0002', 'bench-0003']);
  });

  it('pages through repositories by name and by size', async () => {
    for (const sort of ['name', 'sizeBytes'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.repositories.list('bench-0002', { sort, cursor, limit: 7 });
        seen.push(...page.items.map((r) => r.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(20);
      expect(new Set(seen).size).toBe(20);
      if (sort === 'name') expect(seen).toEqual([...seen].sort());
    }
    const first = await store.repositories.list('bench-0001', { sort: 'imageCount', limit: 1 });
    expect(first.items[0]).toMatchObject({ name: 'big/monorepo', imageCount: 500 });
  });

  it('pages through the big repository in pushed order', async () => {
    const seen: { digest: string; pushedAt: number }[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.images.list('bench-0001', 'big/monorepo', {
        sort: 'pushedAt',
        cursor,
        limit: 100,
      });
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(500);
    expect(new Set(seen.map((i) => i.digest)).size).toBe(500);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i - 1]!.pushedAt).toBeGreaterThanOrEqual(seen[i]!.pushedAt);
    }
    expect(seen[0]).toMatchObject({ tags: expect.arrayContaining(['latest', 'build-499']) });
  });

  it('finds images by tag prefix', async () => {
    const page = await store.images.list('bench-0001', 'big/monorepo', {
      sort: 'pushedAt',
      q: 'latest',
      limit: 10,
    });
    expect(page.items).toHaveLength(1);
  });
});

describe.runIf(testEngines().includes('postgres'))('bulkLoadSyntheticPostgres', () => {
  it('writes on PostgreSQL exactly the rows it writes on SQLite, counters and sequences right', async () => {
    const opts = {
      namespaces: 2,
      repositoriesPerNamespace: 15,
      images: 12_000,
      bigRepositoryImages: 6000,
      region: 'local',
      now: NOW,
      seed: 11,
    };
    const lite = await openTestDatabase('sqlite');
    const pg = await openTestDatabase('postgres');
    try {
      const expected = bulkLoadSynthetic((lite.handle as SqliteHandle).raw, opts);
      const progress: number[] = [];
      const result = await bulkLoadSyntheticPostgres(pg.handle.db, {
        ...opts,
        onProgress: (n) => progress.push(n),
      });
      expect(result).toEqual(expected);
      expect(progress.at(-1)).toBe(12_000);
      for (const query of [
        'SELECT * FROM regions',
        'SELECT * FROM namespaces ORDER BY id',
        'SELECT * FROM repositories ORDER BY id',
        `SELECT id, repository_id, digest, media_type, manifest_size, size_bytes, created_at,
           created_sort, pushed_at, top_level, state, listed, revision FROM manifests ORDER BY id`,
        'SELECT * FROM tags ORDER BY repository_id, name',
        'SELECT * FROM manifest_blobs ORDER BY manifest_id, blob_digest',
        'SELECT * FROM blobs ORDER BY digest',
      ]) {
        expect(await selectRows(pg.handle.db, query), query).toEqual(
          await selectRows(lite.handle.db, query),
        );
      }
      expect(await counterMismatches(pg.handle.db)).toEqual([]);
      // The identity sequences moved past the loaded ids: a new namespace takes the next one.
      const store = createStore(pg.handle.db);
      await store.namespaces.create(
        { name: 'after-load', region: 'local', quotaBytes: null },
        { actor: 'tester', now: NOW },
      );
      expect(
        await selectRows(pg.handle.db, "SELECT id FROM namespaces WHERE name = 'after-load'"),
      ).toEqual([{ id: 3 }]);
    } finally {
      await lite.dispose();
      await pg.dispose();
    }
  });
});
