// Where restore time goes (issue 14): runs the two bulk restores the bulk benchmark times, in
// this process against the built store, and splits every chunk by SQL statement.
//
//   pnpm run build:packages
//   node bench/bulk/profile-restore.mjs [dataset-dir] [--phase=repository|retention|both]
//
// dataset-dir defaults to .bench-data/bulk-i20000-r200-n4-b5000-s1 (seed it with a quick
// `node bench/bulk/run.mjs`, see run.mjs); its berth.db is copied to a scratch directory under
// PROFILE_TMP (default os.tmpdir()), which is removed at the end. On the 1M-image dataset
// (.bench-data/large, 1.4 GiB) the copy needs that much free space.
//
// Phase "repository": the dataset's largest repository goes to the trash (a repository delete
// operation, as DELETE /api/…/repositories does), then "restore repository" runs as an
// operation. Phase "retention": retention (keep 10, untagged deleted) is previewed and
// confirmed in every namespace, then each run is restored. For each restore it prints the
// time to start the operation (fixing its set), per-chunk figures (mean, p99, max ms) and the
// statements that took the time, with µs per restored image; "js" is chunk time outside SQLite
// (planning, JSON, Kysely). Chunk size: BERTH_BULK_CHUNK_IMAGES (250, the server's default).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// PROFILE_STORE_DIST: another build of the store (a directory inside packages/store, so that
// its imports resolve), to compare two versions on the same machine minutes apart.
const store = await import(
  path.join(root, 'packages', 'store', process.env.PROFILE_STORE_DIST ?? 'dist', 'index.js')
);

const args = process.argv.slice(2);
const datasetDir = path.resolve(
  args.find((a) => !a.startsWith('--')) ??
    path.join(root, '.bench-data', 'bulk-i20000-r200-n4-b5000-s1'),
);
const phase = (args.find((a) => a.startsWith('--phase=')) ?? '--phase=both').slice(8);
const CHUNK = Number(process.env.BERTH_BULK_CHUNK_IMAGES ?? 250);
const LEASE = 30_000;
const owner = 'profile-restore';

const scratch = fs.mkdtempSync(path.join(process.env.PROFILE_TMP ?? os.tmpdir(), 'berth-prof-'));
const file = path.join(scratch, 'berth.db');
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
let t = performance.now();
fs.copyFileSync(path.join(datasetDir, 'berth.db'), file);
console.log(`copied ${datasetDir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// PROFILE_BG_CHECKPOINT=1: checkpoints in a worker thread, as the server has them; without
// it commits checkpoint themselves.
const handle = await store.openSqlite(file, {
  backgroundCheckpoints: process.env.PROFILE_BG_CHECKPOINT === '1',
});
const db = handle.db;
const s = store.createStore(db);

/* Time spent in SQLite per statement text, by wrapping the statement methods (every
 * connection's statements share one prototype). */
const bySql = new Map();
const commits = [];
let sqlMs = 0;
const proto = Object.getPrototypeOf(handle.raw.prepare('select 1'));
for (const method of ['run', 'all', 'get', 'iterate']) {
  const original = proto[method];
  proto[method] = function (...a) {
    const t0 = performance.now();
    try {
      return original.apply(this, a);
    } finally {
      const ms = performance.now() - t0;
      sqlMs += ms;
      if (this.source === 'commit') commits.push(ms);
      const key = this.source.replace(/\s+/g, ' ').trim().slice(0, 110);
      const e = bySql.get(key) ?? { ms: 0, n: 0, source: this.source };
      e.ms += ms;
      e.n++;
      bySql.set(key, e);
    }
  };
}
const resetSql = () => {
  bySql.clear();
  sqlMs = 0;
};

// PROFILE_NO_CHECKPOINT=1: no automatic checkpoints, so the WAL's growth shows the pages a
// restore writes (reported per image) and commits show the cost of writing them alone.
const noCheckpoint = process.env.PROFILE_NO_CHECKPOINT === '1';
if (noCheckpoint) handle.raw.pragma('wal_autocheckpoint = 0');
const walBytes = () => {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};
const checkpoint = () => {
  if (noCheckpoint) handle.raw.pragma('wal_checkpoint(TRUNCATE)');
};

const ctx = () => ({ actor: 'profile', now: Date.now() });
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const f = (n) => n.toFixed(1);

/** Works an operation to its end with `chunk`, as the server's runner does. */
async function work(id, chunk, finish) {
  const times = [];
  let images = 0;
  const cpu0 = process.cpuUsage();
  // How long a request arriving during the work would wait for the event loop.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  for (;;) {
    const t0 = performance.now();
    const now = Date.now();
    const { op, outcome } = await s.operations.runChunk(id, owner, now, LEASE, (trx, current) =>
      chunk(trx, current, CHUNK, now),
    );
    times.push(performance.now() - t0);
    images += outcome.handled;
    if (outcome.finished) {
      await s.operations.finish(id, owner, Date.now(), (trx, current) =>
        finish(trx, current, Date.now()),
      );
      const cpu = process.cpuUsage(cpu0);
      loop.disable();
      const blocked = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      return { times, images, total: op.total, cpuMs: (cpu.user + cpu.system) / 1000, blocked };
    }
    // As the runner does: what waited for the event loop during the chunk runs now.
    await nextTurn();
  }
}

function report(label, startMs, { times, images, cpuMs, blocked }) {
  const total = times.reduce((a, b) => a + b, 0);
  // CPU time (user + system of the process) holds up better than wall time on a busy machine.
  const cpu = cpuMs === undefined ? '' : `, CPU ${f((cpuMs * 1000) / images)} µs/image`;
  console.log(
    `\n${label}: ${images} images, start ${f(startMs)} ms, ${times.length} chunks, ` +
      `${f(total / 1000)} s in chunks = ${f((total * 1000) / images)} µs/image${cpu}; ` +
      `chunk mean ${f(total / times.length)} p99 ${f(percentile(times, 99))} max ${f(Math.max(...times))} ms` +
      (blocked ? `; event loop delay p99 ${f(blocked.p99)} max ${f(blocked.max)} ms` : ''),
  );
  const rows = [...bySql].sort((a, b) => b[1].ms - a[1].ms);
  const perImage = (ms) => f((ms * 1000) / images).padStart(7);
  for (const [sql, e] of rows.slice(0, 16)) {
    console.log(`  ${perImage(e.ms)} µs/img ${String(e.n).padStart(6)}×  ${sql}`);
  }
  console.log(`  ${perImage(total - sqlMs)} µs/img  js (outside SQLite, incl. the start)`);
  if (process.env.PROFILE_COMMITS)
    console.log('  commits ms:', commits.map((c) => Math.round(c)).join(' '));
  commits.length = 0;
}

async function restore(label, namespace, scope) {
  checkpoint();
  resetSql();
  t = performance.now();
  const { id } = await store.startTrashRestore(db, namespace, scope, ctx(), {
    owner,
    leaseMs: LEASE,
  });
  const startMs = performance.now() - t;
  const result = await work(
    id,
    (trx, op, budget, now) => store.restoreOperationChunk(trx, op, budget, now, 100),
    store.finishRestoreOperation,
  );
  report(label, startMs, result);
  if (noCheckpoint) {
    console.log(`  WAL: ${f(walBytes() / 4096 / result.images)} pages written per image`);
  }
  return result;
}

/** SQLite's plan of every statement the last restore ran (parameters bound as NULL). */
function printPlans() {
  console.log('\nplans:');
  for (const { source } of bySql.values()) {
    if (/^(commit|begin|rollback)/i.test(source)) continue;
    let explain;
    try {
      explain = handle.raw.prepare(`EXPLAIN QUERY PLAN ${source}`);
    } catch {
      continue;
    }
    let rows = null;
    for (let n = 0; rows === null && n < 30; n++) {
      try {
        rows = explain.all(Array(n).fill(null));
      } catch {
        // wrong number of parameters: try one more
      }
    }
    console.log(`  ${source.replace(/\s+/g, ' ').trim().slice(0, 150)}`);
    for (const r of rows ?? []) console.log(`      ${r.detail}`);
  }
}

if (phase === 'repository' || phase === 'both' || phase === 'plans') {
  // "plans" restores the smallest repository, for the plans alone.
  const big = await db
    .selectFrom('repositories')
    .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
    .select(['namespaces.name as ns', 'repositories.name as repo', 'repositories.image_count'])
    .where('repositories.image_count', '>', 0)
    .orderBy('repositories.image_count', phase === 'plans' ? 'asc' : 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  t = performance.now();
  const del = await store.startRepositoryDelete(db, big.ns, [big.repo], ctx(), {
    owner,
    leaseMs: LEASE,
  });
  // The set of a repository delete is filled after its start, in pieces, as the runner does.
  while (
    !(await s.operations.fillStep(del, owner, Date.now(), LEASE, store.repositoryDeleteItems))
      .complete
  ) {
    await nextTurn();
  }
  const d = await work(del, store.repositoryDeleteChunk, store.finishRepositoryDelete);
  console.log(
    `deleted ${big.ns}/${big.repo}: ${d.images} images in ${f((performance.now() - t) / 1000)} s`,
  );
  await restore(`restore repository ${big.ns}/${big.repo}`, big.ns, { repository: big.repo });
  if (phase === 'plans') printPlans();
}

if (phase === 'retention' || phase === 'both') {
  const rules = { keepCount: 10, retainUntagged: false, excludeTags: [], excludeRepositories: [] };
  const namespaces = await db.selectFrom('namespaces').select('name').orderBy('id').execute();
  const runs = [];
  t = performance.now();
  for (const { name } of namespaces) {
    const preview = await s.retention.createPreview(name, rules, [], ctx(), 3_600_000);
    if (preview.summary.totals.delete === 0) continue;
    const op = await s.retention.confirm(name, preview.id, [], ctx(), { owner, leaseMs: LEASE });
    await work(op, store.retentionRunChunk, store.finishRetentionRun);
    const run = await db
      .selectFrom('retention_runs')
      .select('id')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    runs.push({ ns: name, id: run.id });
  }
  const trashed = await db
    .selectFrom('trash_entries')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('retention_run_id', 'is not', null)
    .executeTakeFirstOrThrow();
  console.log(
    `\nretention: ${runs.length} runs trashed ${trashed.n} images in ${f((performance.now() - t) / 1000)} s`,
  );
  const all = { times: [], images: 0, cpuMs: 0 };
  let starts = 0;
  const overall = new Map();
  for (const run of runs) {
    const r = await restore(`restore run ${run.id} (${run.ns})`, run.ns, { retentionRun: run.id });
    all.times.push(...r.times);
    all.images += r.images;
    all.cpuMs += r.cpuMs;
    for (const [k, v] of bySql) {
      const e = overall.get(k) ?? { ms: 0, n: 0 };
      e.ms += v.ms;
      e.n += v.n;
      overall.set(k, e);
    }
  }
  bySql.clear();
  sqlMs = 0;
  for (const [k, v] of overall) {
    bySql.set(k, v);
    sqlMs += v.ms;
  }
  report('all run restores', starts, all);
}

console.log(`WAL at the end: ${f(walBytes() / 2 ** 20)} MiB`);
await handle.close();
