// Scale-out benchmark: Berth on PostgreSQL + Ceph RGW (S3) beside Berth on embedded SQLite +
// the filesystem, in one run, on the same inputs.
//
//   ./berth bench scale-out     (builds, then runs this script; needs PostgreSQL, Ceph, HAProxy
//                                and skopeo: ./berth test installs them)
//   BENCH_IMAGES=100000 BENCH_REPOSITORIES=1000 BENCH_BIG=10000 BENCH_LAYER_MIB=20 \
//     node bench/scale-out/run.mjs                                         (a quick run)
//   BENCH_PARTS=registry node bench/scale-out/run.mjs   (one part only; the results keep the
//                                                         other part from the last run)
//
// 1. metadata: BENCH_IMAGES synthetic images in BENCH_REPOSITORIES repositories of one
//    namespace (big repository BENCH_BIG images), seeded by apps/server/dist/cli/seed-large.js
//    into SQLite (.bench-data/scale-out/sqlite, reused while its parameters match) and into a
//    fresh PostgreSQL database. On each, one Berth process: the console's listing endpoints
//    (bench/lib/api-cases.mjs, BENCH_REQUESTS sequential requests after BENCH_WARMUP), and
//    BENCH_PREVIEWS retention previews of the whole namespace, a heavy and a light policy.
// 2. registry: skopeo pushes (BENCH_REPEAT times, each into a new repository) and pulls
//    (BENCH_REPEAT times) of a BENCH_LAYERS x BENCH_LAYER_MIB image, and manifest HEAD req/s
//    (32 connections, BENCH_HEAD_SECONDS) through:
//      SQLite + filesystem, 1 process;  PostgreSQL + RGW, 1 process (and HEAD through HAProxy
//      in front of it);  PostgreSQL + RGW, 3 processes behind HAProxy;  the same 3 with
//      BERTH_BLOB_REDIRECT (pulls go to RGW for the bytes).
//    For each, the cores each part of the deployment used (bench/scale-out/cpu.mjs).
// Writes bench/results/scale-out.{json,md}. Exits non-zero only when it cannot run: a missed
// target is reported, never a failure.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { withCpu } from './cpu.mjs';
import { databaseBytes, missingEngines, startBerth, startEngines } from './engines.mjs';
import { TARGET_MS, apiCases, apiClient, measureCase } from '../lib/api-cases.mjs';
import { MiB, children, envInt, envPositive, hwmKiB, round, rssKiB, run } from '../lib/process.mjs';
import { writeResultFiles } from '../lib/results.mjs';
import { skopeoSetup } from '../lib/skopeo.mjs';
import { MANIFEST_ACCEPT } from '../registry/client.mjs';
import { headLoad } from '../registry/head-load.mjs';
import { REF_NAME, ensureLayout, warmLayout } from '../registry/layout.mjs';
import { ApiClient } from '../retention/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const int = envInt;
const positive = envPositive;

const dataset = {
  images: positive('BENCH_IMAGES', 1_000_000),
  repositories: positive('BENCH_REPOSITORIES', 10_000),
  namespaces: 1,
  big: int('BENCH_BIG', 100_000),
  seed: int('BENCH_SEED', 1),
};
const params = {
  requests: positive('BENCH_REQUESTS', 200),
  warmup: int('BENCH_WARMUP', 20),
  previews: positive('BENCH_PREVIEWS', 3),
  layers: positive('BENCH_LAYERS', 5),
  layerMiB: positive('BENCH_LAYER_MIB', 100),
  repeat: positive('BENCH_REPEAT', 3),
  headSeconds: positive('BENCH_HEAD_SECONDS', 10),
  headWarmupSeconds: int('BENCH_HEAD_WARMUP_SECONDS', 2),
  headConnections: positive('BENCH_HEAD_CONNECTIONS', 32),
};
const PARTS = (process.env.BENCH_PARTS || 'metadata,registry').split(',').map((p) => p.trim());
for (const p of PARTS) {
  if (!['metadata', 'registry'].includes(p))
    throw new Error(`BENCH_PARTS: unknown part "${p}" (metadata, registry)`);
}
const TARGETS = { pageP95Ms: TARGET_MS, previewSeconds: 3 };
const NAMESPACE = 'bench-0001'; // seed-large's first namespace
const POLICIES = {
  heavy: { keepCount: 10, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
  light: { keepCount: 100, retainUntagged: true, excludeTags: [], excludeRepositories: [] },
};

const benchDir = path.join(root, '.bench-data', 'scale-out');
const sqliteDir = path.join(benchDir, 'sqlite');
const sqliteParams = path.join(benchDir, 'sqlite.json');
const scratch = path.join(benchDir, `scratch-${process.pid}`);
const resultsDir = path.join(root, 'bench', 'results');
const seedCli = path.join(root, 'apps', 'server', 'dist', 'cli', 'seed-large.js');

let engines = null;
const running = new Set();
async function cleanUp() {
  for (const target of running) await target.stop().catch(() => undefined);
  await engines?.stop().catch(() => undefined);
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping Berth and the engines`);
    cleanUp().finally(() => process.exit(128 + os.constants.signals[signal]));
  });
}

/** Starts a target, runs `fn` on it, stops it. */
async function withTarget(opts, fn) {
  const target = await startBerth(opts);
  running.add(target);
  try {
    return await fn(target);
  } finally {
    running.delete(target);
    await target.stop();
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// ---------------------------------------------------------------------------------------------
// 1. Metadata at a million images

function seedArgs() {
  return [
    '--images',
    String(dataset.images),
    '--repositories',
    String(dataset.repositories),
    '--namespaces',
    '1',
    '--big',
    String(dataset.big),
    '--seed',
    String(dataset.seed),
  ];
}

async function seed(args) {
  const { out } = await run(process.execPath, [seedCli, ...args, ...seedArgs()], {
    echo: true,
  });
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error('seed-large printed no summary');
  return JSON.parse(line);
}

/**
 * The previews an earlier run stored (~20 MB each) are not part of the dataset: left there,
 * every run adds some, and the reused file grew from 2.0 to 3.2 GB over a day of runs.
 */
function forgetStoredPreviews(dbFile) {
  const Database = createRequire(path.join(root, 'packages', 'store', 'package.json'))(
    'better-sqlite3',
  );
  const db = new Database(dbFile);
  try {
    const { changes } = db.prepare('DELETE FROM retention_previews').run();
    if (changes > 0) {
      console.log(`  dropped ${changes} previews an earlier run stored; compacting the file`);
      db.exec('VACUUM');
    }
  } finally {
    db.close();
  }
}

async function seedSqlite() {
  const recorded = fs.existsSync(sqliteParams)
    ? JSON.parse(fs.readFileSync(sqliteParams, 'utf8'))
    : null;
  if (
    recorded &&
    JSON.stringify(recorded.dataset) === JSON.stringify(dataset) &&
    fs.existsSync(path.join(sqliteDir, 'berth.db'))
  ) {
    console.log(`reusing ${path.relative(root, sqliteDir)}`);
    forgetStoredPreviews(path.join(sqliteDir, 'berth.db'));
    return { ...recorded.summary, reused: true };
  }
  fs.rmSync(sqliteDir, { recursive: true, force: true });
  const summary = await seed(['--data-dir', sqliteDir]);
  fs.writeFileSync(sqliteParams, `${JSON.stringify({ dataset, summary }, null, 2)}\n`);
  return { ...summary, reused: false };
}

async function previews(port, key) {
  const client = new ApiClient(port);
  client.headers.authorization = `Bearer ${key}`;
  const url = `/api/v1/namespaces/${encodeURIComponent(NAMESPACE)}/retention/previews`;
  const once = async (rules) => {
    const res = await client.expect(201, 'POST', url, { json: { rules } });
    return { ms: res.ms, totals: res.data.totals, id: res.data.id };
  };
  try {
    const warm = await once(POLICIES.heavy);
    // The warm-up's id: the pages below read a heavy preview, as a person confirming it would.
    const out = { warmupMs: round(warm.ms, 0), heavyId: warm.id };
    for (const policy of ['heavy', 'light']) {
      const ms = [];
      let totals = null;
      for (let i = 0; i < params.previews; i++) {
        const r = await once(POLICIES[policy]);
        ms.push(r.ms);
        totals = r.totals;
      }
      out[policy] = {
        runsMs: ms.map((v) => round(v, 0)),
        medianMs: round(median(ms), 0),
        maxMs: round(Math.max(...ms), 0),
        met: Math.max(...ms) < TARGETS.previewSeconds * 1000,
        images: totals.images,
        delete: totals.delete,
      };
      console.log(
        `  preview ${policy}: median ${(median(ms) / 1000).toFixed(2)} s, max ${(Math.max(...ms) / 1000).toFixed(2)} s; ` +
          `${totals.images.toLocaleString('en')} images, ${totals.delete.toLocaleString('en')} to delete`,
      );
    }
    return out;
  } finally {
    client.close();
  }
}

async function measureMetadata(label, opts, summary) {
  console.log(`\n${label}: one Berth process`);
  return withTarget(opts, async (target) => {
    const pid = target.berthPids[0];
    const rssStartMiB = round(rssKiB(pid) / 1024, 0);
    const client = apiClient(target.baseUrl);
    client.setKey(target.key);
    try {
      const { cases } = await apiCases(client, {
        bigRepository: summary.bigRepository,
        bigImages: dataset.big,
      });
      const pages = [];
      const measure = async (list) => {
        for (const [name, url] of list) {
          pages.push(
            await measureCase(client, name, url, {
              requests: params.requests,
              warmup: params.warmup,
            }),
          );
        }
      };
      await measure(cases);
      const retention = await previews(target.port, target.key);
      // A preview's own pages, read as the console pages one: its summary, its repositories
      // (most deletions first, and found by part of a name), and 50 decisions at a time, of
      // all, of the deletions only, and of the big repository.
      const previewUrl = `/api/v1/namespaces/${encodeURIComponent(NAMESPACE)}/retention/previews/${retention.heavyId}`;
      const itemsUrl = (q) => `${previewUrl}/items?${new URLSearchParams({ limit: '50', ...q })}`;
      await measure([
        ['preview: summary', previewUrl],
        ['preview: repositories, page 1', `${previewUrl}/repositories?limit=10`],
        ['preview: repositories, search', `${previewUrl}/repositories?limit=10&q=service-01`],
        ['preview: decisions, page 1', itemsUrl({})],
        ['preview: decisions, deletions only', itemsUrl({ decision: 'delete' })],
        [
          'preview: decisions, big repository',
          itemsUrl({ repository: summary.bigRepository.slice(NAMESPACE.length + 1) }),
        ],
      ]);
      return {
        pages,
        retention,
        rss: {
          startMiB: rssStartMiB,
          endMiB: round(rssKiB(pid) / 1024, 0),
          peakMiB: round(hwmKiB(pid) / 1024, 0),
        },
      };
    } finally {
      client.close();
    }
  });
}

async function metadataPart() {
  const sqliteSeed = await seedSqlite();
  const database = await engines.database();
  console.log('\nseeding PostgreSQL');
  const pgSeed = await seed(['--database-url', database.url]);
  const sqlite = await measureMetadata(
    'SQLite',
    { name: 'sqlite', dataDir: sqliteDir },
    sqliteSeed,
  );
  const postgres = await measureMetadata(
    'PostgreSQL',
    {
      name: 'postgres',
      dataDir: path.join(scratch, 'metadata-pg'),
      env: {
        ...engines.env,
        BERTH_DATABASE_URL: database.url,
        BERTH_BLOB_STORE: await engines.bucket('metadata'),
      },
    },
    pgSeed,
  );
  return {
    dataset,
    seed: {
      sqlite: {
        seconds: sqliteSeed.seconds,
        reused: sqliteSeed.reused,
        bytes: fs.statSync(path.join(sqliteDir, 'berth.db')).size,
      },
      postgres: { seconds: pgSeed.seconds, bytes: databaseBytes(database.url) },
    },
    sqlite,
    postgres,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Registry: push, pull, HEAD

async function pushes(ctx, target) {
  const runs = [];
  for (let i = 0; i < params.repeat; i++) {
    // A repository of its own each time, and no blob-info cache: every layer is uploaded.
    if (process.getuid?.() === 0) {
      fs.rmSync('/var/lib/containers/cache/blob-info-cache-v1.boltdb', { force: true });
    }
    await run('sync', []);
    runs.push(
      await withCpu(target.berthPids, () =>
        ctx.skopeo(
          `oci:${ctx.layout.dir}:${REF_NAME}`,
          `docker://${target.host}/bench/big-${i}:v1`,
          {
            dest: target.creds,
          },
        ),
      ),
    );
  }
  return summarize(ctx, runs);
}

async function pulls(ctx, target) {
  const runs = [];
  const dest = path.join(scratch, 'pulled');
  for (let i = 0; i < params.repeat; i++) {
    fs.rmSync(dest, { recursive: true, force: true });
    await run('sync', []);
    runs.push(
      await withCpu(target.berthPids, () =>
        ctx.skopeo(`docker://${target.host}/bench/big-0:v1`, `dir:${dest}`, {
          src: target.creds,
        }),
      ),
    );
    for (const layer of ctx.layout.layers) {
      const file = path.join(dest, layer.digest.slice(7));
      const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
      if (size !== layer.size) throw new Error(`pulled ${layer.digest}: ${size} bytes`);
    }
  }
  fs.rmSync(dest, { recursive: true, force: true });
  return summarize(ctx, runs);
}

/** The median run's time and throughput, and the cores each part used in that run. */
function summarize(ctx, runs) {
  const sorted = [...runs].sort((a, b) => a.wallSeconds - b.wallSeconds);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return {
    seconds: round(mid.wallSeconds, 2),
    mibPerSecond: round(ctx.layout.layerBytes / MiB / mid.wallSeconds, 1),
    runs: sorted.map((r) => round(r.wallSeconds, 2)),
    cores: mid.cores,
  };
}

async function heads(target, via = target) {
  const path_ = '/v2/bench/big-0/manifests/v1';
  const load = (seconds) =>
    headLoad({
      host: '127.0.0.1',
      port: via.port,
      path: path_,
      headers: { ...target.headers, Accept: MANIFEST_ACCEPT, 'User-Agent': 'berth-bench' },
      connections: params.headConnections,
      threads: 2,
      seconds,
    });
  if (params.headWarmupSeconds > 0) await load(params.headWarmupSeconds);
  const pids = [...target.berthPids];
  const measured = await withCpu(pids, () => load(params.headSeconds));
  const r = measured.value;
  return {
    requestsPerSecond: round(r.requestsPerSecond, 0),
    errors: r.non2xx + r.socketErrors,
    p50Ms: round(r.p50Ms, 2),
    p99Ms: round(r.p99Ms, 2),
    cores: measured.cores,
  };
}

async function registryPart() {
  const layout = await ensureLayout(
    path.join(
      root,
      '.bench-data',
      'registry',
      'layouts',
      `big-${params.layers}x${params.layerMiB}MiB`,
    ),
    { layers: params.layers, layerMiB: params.layerMiB },
  );
  await warmLayout(layout);
  const ctx = { layout, skopeo: skopeoSetup(scratch, root) };
  const results = [];
  const measureTarget = async (label, opts, { push = true, extraHead = false } = {}) => {
    console.log(`\n${label}`);
    return withTarget(opts, async (target) => {
      const out = { label };
      if (push) {
        out.push = await pushes(ctx, target);
        console.log(`  push ${out.push.seconds} s (${out.push.mibPerSecond} MiB/s)`);
      }
      out.pull = await pulls(ctx, target);
      console.log(`  pull ${out.pull.seconds} s (${out.pull.mibPerSecond} MiB/s)`);
      out.head = await heads(target);
      console.log(`  HEAD ${out.head.requestsPerSecond} req/s`);
      if (extraHead) {
        const front = await target.addBalancer();
        try {
          out.headBalanced = await heads(target, front);
          console.log(`  HEAD through HAProxy ${out.headBalanced.requestsPerSecond} req/s`);
        } finally {
          await front.stop();
        }
      }
      results.push(out);
    });
  };

  await measureTarget('SQLite + filesystem, 1 process', {
    name: 'sqlite-fs',
    dataDir: path.join(scratch, 'registry-sqlite'),
  });
  const one = await engines.database();
  await measureTarget(
    'PostgreSQL + Ceph RGW, 1 process',
    {
      name: 'pg-s3',
      dataDir: path.join(scratch, 'registry-pg-1'),
      env: {
        ...engines.env,
        BERTH_DATABASE_URL: one.url,
        BERTH_BLOB_STORE: await engines.bucket('registry-one'),
      },
    },
    { extraHead: true },
  );
  const three = await engines.database();
  const threeEnv = {
    ...engines.env,
    BERTH_DATABASE_URL: three.url,
    BERTH_BLOB_STORE: await engines.bucket('registry-three'),
  };
  await measureTarget('PostgreSQL + Ceph RGW, 3 processes behind HAProxy', {
    name: 'pg-s3-x3',
    dataDir: path.join(scratch, 'registry-pg-3'),
    env: threeEnv,
    processes: 3,
  });
  // The same database and bucket, the image already there: pulls redirected to RGW.
  await measureTarget(
    'PostgreSQL + Ceph RGW, 3 processes behind HAProxy, BERTH_BLOB_REDIRECT=5m (pull)',
    {
      name: 'pg-s3-x3-redirect',
      dataDir: path.join(scratch, 'registry-pg-3r'),
      env: { ...threeEnv, BERTH_BLOB_REDIRECT: '5m' },
      processes: 3,
    },
    { push: false },
  );
  return { layout: { layers: params.layers, layerMiB: params.layerMiB }, targets: results };
}

// ---------------------------------------------------------------------------------------------
// Report

const s = (ms) => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(2));
const coresText = (cores) =>
  Object.entries(cores ?? {})
    .sort((a, b) => b[1] - a[1])
    .filter(([, c]) => c >= 0.05)
    .map(([part, c]) => `${part} ${c}`)
    .join(', ');

function markdown(report) {
  const lines = [
    `# Scale-out: PostgreSQL + Ceph RGW beside SQLite + filesystem (${report.at})`,
    '',
  ];
  lines.push(
    `Machine: ${report.machine.cpus} CPUs, Node ${report.machine.node}. Everything on one machine ` +
      'and loopback: the Berth processes, PostgreSQL 15 (Debian defaults, fsync on), Ceph RGW ' +
      '16 (one in-memory OSD), HAProxy, and the client.',
    '',
  );
  const m = report.metadata;
  if (m) {
    const params = m.params;
    lines.push(
      `## Metadata at ${m.dataset.images.toLocaleString('en')} images (run of ${m.at})`,
      '',
      `${m.dataset.images.toLocaleString('en')} images in ${m.dataset.repositories.toLocaleString('en')} ` +
        `repositories of one namespace (big repository ${m.dataset.big.toLocaleString('en')} images). ` +
        `SQLite file ${Math.round(m.seed.sqlite.bytes / MiB)} MiB; PostgreSQL database ` +
        `${m.seed.postgres.bytes === null ? 'n/a' : Math.round(m.seed.postgres.bytes / MiB)} MiB, ` +
        `seeded in ${m.seed.postgres.seconds} s. One Berth process on each; ${params.requests} ` +
        `sequential requests per endpoint after ${params.warmup}; target p95 < ${TARGETS.pageP95Ms} ms.`,
      '',
      '| Endpoint | SQLite p50 | SQLite p95 | PostgreSQL p50 | PostgreSQL p95 | Target |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    m.sqlite.pages.forEach((a, i) => {
      const b = m.postgres.pages[i];
      lines.push(
        `| ${a.name} | ${a.p50} | ${a.p95} | ${b.p50} | ${b.p95} | ${a.pass && b.pass ? 'pass' : '**miss**'} |`,
      );
    });
    lines.push(
      '',
      `Retention preview of the whole namespace (median of ${params.previews}, seconds; target < ${TARGETS.previewSeconds} s):`,
      '',
      '| Policy | Images | To delete | SQLite | PostgreSQL | Target |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const policy of ['heavy', 'light']) {
      const a = m.sqlite.retention[policy];
      const b = m.postgres.retention[policy];
      lines.push(
        `| ${policy === 'heavy' ? 'keep 10, untagged deleted' : 'keep 100, untagged retained'} | ` +
          `${a.images.toLocaleString('en')} | ${a.delete.toLocaleString('en')} | ${s(a.medianMs)} | ` +
          `${s(b.medianMs)} | ${a.met && b.met ? 'pass' : '**miss**'} |`,
      );
    }
    lines.push(
      '',
      `Server RSS (start / peak): SQLite ${m.sqlite.rss.startMiB} / ${m.sqlite.rss.peakMiB} MiB, ` +
        `PostgreSQL ${m.postgres.rss.startMiB} / ${m.postgres.rss.peakMiB} MiB.`,
      '',
    );
  }
  const r = report.registry;
  if (r) {
    const params = r.params;
    const mib = r.layout.layers * r.layout.layerMiB;
    lines.push(
      `## Registry: a ${mib} MiB image (${r.layout.layers} x ${r.layout.layerMiB} MiB), manifest HEAD (run of ${r.at})`,
      '',
      `skopeo push (each into a new repository) and pull, median of ${params.repeat}; HEAD of a ` +
        `manifest over ${params.headConnections} keep-alive connections for ${params.headSeconds} s.`,
      '',
      '| Deployment | Push s | Push MiB/s | Pull s | Pull MiB/s | HEAD req/s | HEAD p99 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const t of r.targets) {
      lines.push(
        `| ${t.label} | ${t.push?.seconds ?? '-'} | ${t.push?.mibPerSecond ?? '-'} | ${t.pull.seconds} | ` +
          `${t.pull.mibPerSecond} | ${t.head.requestsPerSecond} | ${t.head.p99Ms} |`,
      );
      if (t.headBalanced) {
        lines.push(
          `| ${t.label}, HEAD through HAProxy | | | | | ${t.headBalanced.requestsPerSecond} | ${t.headBalanced.p99Ms} |`,
        );
      }
    }
    lines.push(
      '',
      'Cores each part used on average (CPU seconds / wall seconds) in the median run:',
      '',
      '| Deployment | Push | Pull | HEAD |',
      '| --- | --- | --- | --- |',
    );
    for (const t of r.targets) {
      lines.push(
        `| ${t.label} | ${coresText(t.push?.cores) || '-'} | ${coresText(t.pull.cores)} | ${coresText(t.head.cores)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function readLastReport() {
  try {
    return JSON.parse(fs.readFileSync(path.join(resultsDir, 'scale-out.json'), 'utf8'));
  } catch {
    return null;
  }
}

async function main() {
  const missing = await missingEngines();
  if (missing) throw new Error(`the scale-out benchmark needs: ${missing}`);
  fs.mkdirSync(scratch, { recursive: true });
  const started = performance.now();
  engines = await startEngines({ memoryBytes: 10 * 1024 ** 3 });
  console.log(`PostgreSQL at ${engines.postgres.url}, Ceph RGW at ${engines.rgw.endpoint}`);
  const report = {
    at: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg() },
    params,
    targets: TARGETS,
  };
  // A run of one part keeps the other's figures from the last run, each part marked with when
  // it ran and with what parameters.
  const last = readLastReport();
  for (const [part, measure] of [
    ['metadata', metadataPart],
    ['registry', registryPart],
  ]) {
    if (PARTS.includes(part)) {
      report[part] = { at: new Date().toISOString(), params, ...(await measure()) };
    } else if (last?.[part]) {
      report[part] = { at: last.at, params: last.params, ...last[part] };
    }
  }
  report.seconds = round((performance.now() - started) / 1000, 0);
  await writeResultFiles(resultsDir, 'scale-out', report, markdown(report));
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  })
  .finally(cleanUp);
