import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bulkLoadSynthetic } from './bulk-load.js';
import {
  type TestDatabase,
  loadSynthetic,
  openTestDatabase,
  selectRows,
  testEngines,
} from './testing/engines.js';
import { openSqlite, type SqliteHandle } from './connect.js';
import { copyWithMillionImageStatistics } from './testing/million-image-statistics.js';
import {
  type SearchScope,
  createSearchStore,
  digestsQuery,
  namespacesQuery,
  repositoriesQuery,
  tagsQuery,
} from './search-store.js';

const NOW = Date.UTC(2026, 0, 15);

// Query plans are SQLite's (PostgreSQL plans by its own statistics): these stay SQLite-only.
describe('search store plans on sqlite', () => {
  let dir: string;
  let handle: SqliteHandle;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-search-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    bulkLoadSynthetic(handle.raw, {
      namespaces: 4,
      repositoriesPerNamespace: 60,
      images: 6000,
      bigRepositoryImages: 1500,
      region: 'local',
      now: NOW,
      seed: 3,
    });
    // Enough namespaces that a pass over them is not what the planner picks for a prefix.
    const insert = handle.raw.prepare(
      "INSERT INTO namespaces (name, region, created_at) VALUES (?, 'local', ?)",
    );
    for (let i = 0; i < 300; i++) insert.run(`other-${String(i).padStart(4, '0')}`, NOW);
    handle.raw.exec('ANALYZE');
  });

  afterAll(async () => {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const admin: SearchScope = { limit: 6 };
  const member: SearchScope = { limit: 6, visibility: { userId: 'someone', names: null } };
  const aDigest = () =>
    (
      handle.raw.prepare('SELECT digest FROM manifests WHERE listed = 1 LIMIT 1').get() as {
        digest: string;
      }
    ).digest;

  /** Each group's query in the shapes the service sends, for an admin and for a member. */
  const groupQueries = () =>
    [admin, member].flatMap((scope) => [
      { group: 'namespaces', query: namespacesQuery(handle.db, 'bench-', scope) },
      { group: 'repositories', query: repositoriesQuery(handle.db, 'team-1', scope) },
      {
        group: 'repositories',
        query: repositoriesQuery(handle.db, 'team-1', scope, { namespace: 'bench-0002' }),
      },
      { group: 'tags', query: tagsQuery(handle.db, 'build-1', scope) },
      { group: 'tags', query: tagsQuery(handle.db, 'no-such-tag', scope) },
      {
        group: 'tags',
        query: tagsQuery(handle.db, 'build', scope, {
          namespace: 'bench-0001',
          repository: 'big/monorepo',
        }),
      },
      { group: 'digests', query: digestsQuery(handle.db, aDigest().slice(0, 12), scope) },
    ]);

  function planOf(raw: SqliteDatabase.Database, query: ReturnType<typeof groupQueries>[number]) {
    const { sql, parameters } = query.query.compile();
    return (
      raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]
    ).map((r) => r.detail);
  }

  /** What each group's plan must use: a range of an index, never a pass over a big table. */
  const EXPECTED: Record<string, RegExp> = {
    namespaces:
      /^SEARCH namespaces USING (COVERING )?INDEX sqlite_autoindex_namespaces_1 \(name>\? AND name<\?\)$/,
    repositories:
      /^SEARCH r USING (COVERING )?INDEX sqlite_autoindex_repositories_1 \(namespace_id=\? AND name>\? AND name<\?\)$/,
    tags: /^SEARCH t USING (COVERING )?INDEX sqlite_autoindex_tags_1 \(repository_id=\? AND name>\? AND name<\?\)$/,
    digests:
      /^SEARCH m USING (COVERING )?INDEX sqlite_autoindex_manifests_1 \(repository_id=\? AND digest>\? AND digest<\?\)$/,
  };

  function expectIndexedPlan(plan: string[], group: string) {
    const expected = EXPECTED[group];
    expect(expected).toBeDefined();
    expect(
      plan.some((line) => expected?.test(line)),
      plan.join('\n'),
    ).toBe(true);
    // The only pass allowed is over the namespaces (a few rows) in name order; no sort either,
    // so LIMIT stops the walk at the first rows found.
    expect(plan.filter((line) => /^SCAN /.test(line) && !/^SCAN namespaces /.test(line))).toEqual(
      [],
    );
    expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
  }

  it('every group is a range scan of an index, with statistics', () => {
    for (const q of groupQueries()) expectIndexedPlan(planOf(handle.raw, q), q.group);
  });

  it('every group is a range scan of an index without statistics, as on a first start', async () => {
    const copy = path.join(dir, 'no-stats.db');
    handle.raw.exec(`VACUUM INTO '${copy}'`);
    const drop = new SqliteDatabase(copy);
    drop.exec('DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4');
    drop.close();
    const other = new SqliteDatabase(copy, { readonly: true });
    try {
      expect(
        other
          .prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
          .pluck()
          .get(),
      ).toBe(0);
      for (const q of groupQueries()) expectIndexedPlan(planOf(other, q), q.group);
    } finally {
      other.close();
      fs.rmSync(copy, { force: true });
    }
  });

  it('every group is a range scan of an index with the statistics of a million images', async () => {
    // sqlite_stat1 as ANALYZE left it on the 1,000,000-image benchmark dataset (10,000
    // repositories in 10 namespaces): the plans hold under them too.
    const copy = path.join(dir, 'million-stats.db');
    const other = copyWithMillionImageStatistics(handle.raw, copy);
    try {
      for (const q of groupQueries()) {
        // Ten namespaces: a pass over them is the planner's right choice for their own group.
        if (q.group === 'namespaces') continue;
        expectIndexedPlan(planOf(other, q), q.group);
      }
    } finally {
      other.close();
      fs.rmSync(copy, { force: true });
    }
  });
});

describe.each(testEngines())('search store on %s', (engine) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    const options = {
      namespaces: 4,
      repositoriesPerNamespace: 60,
      images: 6000,
      bigRepositoryImages: 1500,
      region: 'local',
      now: NOW,
      seed: 3,
    };
    await loadSynthetic(database, options);
  });

  afterAll(() => database.dispose());

  const admin: SearchScope = { limit: 6 };
  const member: SearchScope = { limit: 6, visibility: { userId: 'someone', names: null } };
  const aDigest = async () =>
    (
      await selectRows<{ digest: string }>(
        database.handle.db,
        'SELECT digest FROM manifests WHERE listed = 1 ORDER BY id LIMIT 1',
      )
    )[0]!.digest;

  it('finds by prefix in name order, and only live top-level images by digest', async () => {
    const search = createSearchStore(database.handle.db);
    expect(await search.namespaces('bench-000', { limit: 2 })).toEqual([
      'bench-0001',
      'bench-0002',
    ]);
    const repos = await search.repositories('big/', admin);
    expect(repos).toEqual([{ namespace: 'bench-0001', repository: 'big/monorepo' }]);
    const tags = await search.tags(
      'build-',
      { limit: 3 },
      {
        namespace: 'bench-0001',
        repository: 'big/monorepo',
      },
    );
    expect(tags.map((t) => t.tag)).toEqual([...tags.map((t) => t.tag)].sort());
    expect(tags).toHaveLength(3);
    const digest = await aDigest();
    const [found] = await search.digests(digest.slice(0, 15), admin);
    expect(found?.digest).toBe(digest);
    await sql`UPDATE manifests SET listed = 0, state = 'trashed' WHERE digest = ${digest}`.execute(
      database.handle.db,
    );
    expect((await search.digests(digest.slice(0, 15), admin)).map((d) => d.digest)).not.toContain(
      digest,
    );
    // A caller who is no member of any of these (all private) namespaces finds nothing.
    expect(await search.namespaces('bench', member)).toEqual([]);
    expect(await search.tags('build', member)).toEqual([]);
  });

  it.runIf(engine === 'postgres')(
    'seeks each repository on PostgreSQL instead of scanning every tag or manifest',
    async () => {
      // The planner takes no join order from the query's shape: at a million images it read
      // every tag (80 ms) and every manifest (230 ms) for a search that matched nothing.
      for (const query of [
        tagsQuery(database.handle.db, 'zzz', admin),
        digestsQuery(database.handle.db, 'sha256:0000', admin),
      ]) {
        const compiled = query.compile();
        const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${sql.raw(
          compiled.sql.replace(/\$(\d+)/g, (_, n: string) => {
            const value = compiled.parameters[Number(n) - 1];
            return typeof value === 'number' ? String(value) : `'${String(value)}'`;
          }),
        )}`.execute(database.handle.db);
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).not.toMatch(/Seq Scan on (tags|manifests)/);
        expect(text).toMatch(/Index (Only )?Scan using \w+ on (tags|manifests)/);
      }
    },
  );
});
