// Vulnerability totals at scale (issue 17): how long a namespace's and the registry's totals
// take at a million images, on SQLite and on PostgreSQL, and how long they hold the event loop.
//
//   node bench/scanning/totals.mjs                                    (after ./berth build)
//   BENCH_TOTALS_IMAGES=100000 node bench/scanning/totals.mjs         (a quick run)
//   BENCH_TOTALS_ENGINES=sqlite node bench/scanning/totals.mjs        (one engine)
//
// Each engine gets a fresh database: the bulk loader's synthetic registry (BENCH_TOTALS_IMAGES
// images in 10 namespaces, 1,000 repositories each, one repository of a tenth of them, as
// ./berth bench bulk seeds it) with every 50th image and the next made the two platforms of an
// index, then a scan result for nine image manifests in ten (with an inventory
// of BENCH_TOTALS_PACKAGES packages stored as JSON, as a scan stores it; one in 97 failed) and
// a queued scan for one in a thousand, then ANALYZE. Timed BENCH_TOTALS_REPEAT times each
// (the first on pages as the seeding left them, then the median of the rest), through the
// store as the API calls it:
//   1. the totals of the largest namespace (with the 10 % repository) and of a typical one
//   2. the registry's totals over every namespace (every image)
// with the longest time the event loop went without a turn meanwhile (a 1 ms timer), and the
// plan of one statement (EXPLAIN QUERY PLAN / EXPLAIN). Writes bench/results/scanning-totals.
// {json,md}. Needs PostgreSQL installed for the PostgreSQL half (skipped with the reason).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envPositive, round } from '../lib/process.mjs';
import { writeResultFiles } from '../lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const storeDist = path.join(root, 'packages', 'store', 'dist');
const params = {
  images: envPositive('BENCH_TOTALS_IMAGES', 1_000_000),
  packages: envPositive('BENCH_TOTALS_PACKAGES', 40),
  repeat: envPositive('BENCH_TOTALS_REPEAT', 4),
};
const engines = (process.env.BENCH_TOTALS_ENGINES || 'sqlite,postgres').split(',');
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

const store = await import(pathToFileURL(path.join(storeDist, 'index.js')).href);
const testing = (name) => import(pathToFileURL(path.join(storeDist, 'testing', `${name}.js`)).href);
/** Kysely as the store resolves it (the benchmarks have no dependencies of their own). */
const kysely = await import(
  pathToFileURL(createRequire(path.join(storeDist, 'index.js')).resolve('kysely')).href
);
const sql = kysely.sql ?? kysely.default.sql;

function inventoryJson() {
  const packages = [];
  for (let i = 0; i < params.packages; i++) {
    const name = `pkg-${String(i).padStart(5, '0')}`;
    packages.push({
      type: 'deb',
      name,
      version: '2.1-1',
      source: { name, version: '2.1-1' },
      purl: `pkg:deb/debian/${name}@2.1-1?arch=amd64&distro=debian-12`,
      layer: `sha256:${'a'.repeat(64)}`,
      path: 'var/lib/dpkg/status',
    });
  }
  return JSON.stringify({ distro: { id: 'debian', versionId: '12' }, packages });
}

const INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * Multi-platform images, so the statement walks manifest_children for real: every 50th image
 * and the next one (when in the same repository) become the two platforms of a new index.
 */
async function seedIndexes(db) {
  const indexDigest = (m) => sql`'sha256:ffff' || substr(${sql.ref(`${m}.digest`)}, 12)`;
  await sql`
    INSERT INTO manifests (repository_id, digest, media_type, manifest_size, size_bytes,
      created_at, created_sort, pushed_at, top_level, state, listed)
    SELECT m.repository_id, ${indexDigest('m')}, ${INDEX}, 500, m.size_bytes + p.size_bytes,
      m.created_at, m.created_sort, m.pushed_at, 1, 'live', 1
    FROM manifests m
    JOIN manifests p ON p.id = m.id + 1 AND p.repository_id = m.repository_id
    WHERE (m.id % 50) = 0 AND m.listed = 1 AND p.listed = 1`.execute(db);
  await sql`
    INSERT INTO manifest_children (parent_id, child_id, position)
    SELECT i.id, m.id + k.k, k.k
    FROM manifests m
    JOIN manifests i ON i.repository_id = m.repository_id AND i.digest = ${indexDigest('m')}
    CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) k
    WHERE (m.id % 50) = 0`.execute(db);
  await sql`
    UPDATE manifests SET listed = 0, top_level = 0
    WHERE id IN (SELECT child_id FROM manifest_children)`.execute(db);
}

/**
 * A result for nine image manifests in ten (platforms included) and a queued scan for one in
 * a thousand, in one statement each.
 */
async function seedScans(db) {
  const t = performance.now();
  await seedIndexes(db);
  const mod = (column, n) => sql`(${sql.ref(column)} % ${sql.lit(n)})`;
  await sql`
    INSERT INTO scan_results (manifest_id, namespace, repository, digest, generated_at,
      expires_at, status, error, distro, packages, critical, high, medium, low, unknown, fixable,
      inventory)
    SELECT m.id, n.name, r.name, m.digest, ${NOW - DAY}, ${NOW + 29 * DAY},
      CASE WHEN ${mod('m.id', 97)} = 0 THEN 'failed' ELSE 'complete' END, NULL, 'debian 12',
      ${params.packages}, ${mod('m.id', 3)}, ${mod('m.id', 5)}, ${mod('m.id', 7)},
      ${mod('m.id', 2)}, ${mod('m.id', 11)}, ${mod('m.id', 4)}, ${inventoryJson()}
    FROM manifests m
    JOIN repositories r ON r.id = m.repository_id
    JOIN namespaces n ON n.id = r.namespace_id
    WHERE m.state = 'live' AND m.media_type <> ${INDEX} AND ${mod('m.id', 10)} <> 0`.execute(db);
  await sql`
    INSERT INTO scan_requests (manifest_id, requested_at, reason)
    SELECT id, ${NOW}, 'push' FROM manifests WHERE ${mod('id', 1000)} = 0`.execute(db);
  await sql`ANALYZE`.execute(db);
  return round((performance.now() - t) / 1000, 1);
}

/** Wall time of `work`, and the longest the event loop went without a turn meanwhile. */
async function timed(work) {
  let last = performance.now();
  let held = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    held = Math.max(held, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  const out = await work();
  const ms = performance.now() - start;
  clearInterval(timer);
  return { ms, held: Math.max(held, performance.now() - last), out };
}

/** The first run (pages as the seeding left them), then the median of the rest. */
async function measure(label, work) {
  const runs = [];
  for (let i = 0; i < params.repeat; i++) runs.push(await timed(work));
  const [first, ...rest] = runs;
  const warm = [...(rest.length ? rest : runs)].sort((a, b) => a.ms - b.ms);
  const median = warm[Math.floor(warm.length / 2)];
  return {
    label,
    images: first.out.totals.images,
    firstSeconds: round(first.ms / 1000, 2),
    firstHoldMs: round(first.held, 1),
    medianSeconds: round(median.ms / 1000, 2),
    runsSeconds: runs.map((r) => round(r.ms / 1000, 2)),
    longestWarmHoldMs: round(Math.max(...warm.map((r) => r.held)), 1),
  };
}

/**
 * The first totals statement each engine's driver is given, with its parameters, so that the
 * plan printed is of the statement the store runs.
 */
const recorded = new Map();
function recordTotalsStatements() {
  const require = createRequire(path.join(storeDist, 'index.js'));
  const isTotals = (text) => typeof text === 'string' && text.includes('WITH RECURSIVE node');
  const Database = require('better-sqlite3');
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (source) {
    if (isTotals(source) && !recorded.has('sqlite')) recorded.set('sqlite', { text: source });
    return prepare.call(this, source);
  };
  const { Client } = require('pg');
  const query = Client.prototype.query;
  Client.prototype.query = function (config, values, callback) {
    const text = typeof config === 'string' ? config : config?.text;
    if (isTotals(text) && !recorded.has('postgres')) {
      recorded.set('postgres', {
        text,
        values: typeof config === 'string' ? values : config.values,
      });
    }
    return query.call(this, config, values, callback);
  };
}
recordTotalsStatements();

async function planOf(handle, engine) {
  const statement = recorded.get(engine);
  if (!statement) return ['(no statement recorded)'];
  if (engine === 'sqlite') {
    // Every parameter 1 (a repository id, a manifest id range): the plan is what matters.
    const params = (statement.text.match(/\?/g) ?? []).map(() => 1);
    return handle.raw
      .prepare(`EXPLAIN QUERY PLAN ${statement.text}`)
      .all(...params)
      .map((r) => r.detail);
  }
  return handle.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL jit = off`.execute(trx);
    const { rows } = await sql`EXPLAIN (ANALYZE, COSTS OFF) ${sql.raw(
      statement.text.replace(/\$(\d+)/g, (_, i) => {
        const v = statement.values[Number(i) - 1];
        return typeof v === 'number' || typeof v === 'bigint' ? String(v) : `'${String(v)}'`;
      }),
    )}`.execute(trx);
    return rows.map((r) => r['QUERY PLAN']);
  });
}

async function runEngine(engine) {
  let handle;
  let cleanup = async () => {};
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-totals-'));
    handle = await store.openSqlite(path.join(dir, 'berth.db'));
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const { postgresUnavailable, startPostgres, createTestDatabase } = await testing('postgres');
    const missing = postgresUnavailable();
    if (missing) return { engine, skipped: missing };
    const cluster = await startPostgres();
    const database = await createTestDatabase(cluster.url, { empty: true });
    handle = await store.openPostgres(database.url, { poolSize: 4 });
    cleanup = () => cluster.stop();
  }
  try {
    const options = {
      namespaces: 10,
      repositoriesPerNamespace: 1000,
      images: params.images,
      bigRepositoryImages: Math.floor(params.images / 10),
      region: 'local',
      now: NOW,
      seed: 1,
    };
    let t = performance.now();
    if (engine === 'sqlite') store.bulkLoadSynthetic(handle.raw, options);
    else await store.bulkLoadSyntheticPostgres(handle.db, options);
    const seedImagesSeconds = round((performance.now() - t) / 1000, 1);
    const seedScansSeconds = await seedScans(handle.db);
    const s = store.createStore(handle.db);
    const namespaces = await handle.db
      .selectFrom('namespaces')
      .select(['id', 'name', 'image_count'])
      .orderBy('image_count', 'desc')
      .execute();
    const largest = namespaces[0];
    const typical = namespaces[Math.floor(namespaces.length / 2)];
    const results = [
      await measure(`namespace ${largest.name}`, () =>
        s.vulnerabilityTotals.ofNamespace(largest.id),
      ),
      await measure(`namespace ${typical.name}`, () =>
        s.vulnerabilityTotals.ofNamespace(typical.id),
      ),
      await measure('registry (every namespace)', () => s.vulnerabilityTotals.ofNamespaces({})),
    ];
    const plan = await planOf(handle, engine);
    return { engine, seedImagesSeconds, seedScansSeconds, results, plan };
  } finally {
    await handle.close();
    await cleanup();
  }
}

const report = {
  at: new Date().toISOString(),
  machine: `${os.cpus().length} CPUs, ${round(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}; 1-min load average ${round(os.loadavg()[0], 2)} at the start`,
  params,
  engines: [],
};
for (const engine of engines) {
  console.log(`${engine}: seeding ${params.images.toLocaleString('en-US')} images…`);
  const r = await runEngine(engine);
  console.log(JSON.stringify(r, null, 2));
  report.engines.push(r);
}

const lines = [
  `# Vulnerability totals (${report.at})`,
  '',
  `Machine: ${report.machine}.`,
  '',
  `A synthetic registry of ${params.images.toLocaleString('en-US')} images in 10 namespaces (the bulk loader's), every 50th image and the next made the two platforms of an index, a stored scan result for nine image manifests in ten (${params.packages}-package inventories; one in 97 failed) and a queued scan for one in a thousand. Times are through the store, as \`GET /api/v1/namespaces/{namespace}/vulnerabilities\` and \`GET /api/v1/vulnerabilities\` call it, ${params.repeat} times each: the first run reads the pages as the seeding left them (mostly from disk), the others find them cached. "Loop held" is the longest the process went without a turn of its event loop meanwhile.`,
  '',
  '| Engine | Totals of | Images | First run, s (loop held, ms) | Then, median s (runs) | Loop held after, ms |',
  '| ------ | --------- | ------ | ---------------------------- | --------------------- | ------------------- |',
];
for (const e of report.engines) {
  if (e.skipped) {
    lines.push(`| ${e.engine} | skipped: ${e.skipped} | | | |`);
    continue;
  }
  for (const r of e.results) {
    lines.push(
      `| ${e.engine} | ${r.label} | ${r.images.toLocaleString('en-US')} | ${r.firstSeconds} (${r.firstHoldMs}) | ${r.medianSeconds} (${r.runsSeconds.slice(1).join(', ')}) | ${r.longestWarmHoldMs} |`,
    );
  }
}
for (const e of report.engines) {
  if (e.skipped) continue;
  lines.push(
    '',
    `Seeding on ${e.engine} (not timed above): images ${e.seedImagesSeconds} s, scan results ${e.seedScansSeconds} s. Plan of one statement on ${e.engine}:`,
    '',
    '```',
    ...e.plan,
    '```',
  );
}
await writeResultFiles(
  path.join(root, 'bench', 'results'),
  'scanning-totals',
  report,
  `${lines.join('\n')}\n`,
);
