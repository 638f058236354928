// Where bulk trash time goes (issue 14): runs the bulk operations the way the server does
// (store operations worked by the server's operation runner, chunks of
// BERTH_BULK_CHUNK_IMAGES) on a scratch copy of a dataset, and times every SQLite statement
// the chunks run, grouped by SQL text.
//
//   pnpm run build:packages && pnpm --filter @berth/server run build
//   node bench/bulk/profile-trash.mjs .bench-data/bulk-i20000-r200-n4-b5000-s1 [phase …]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/bulk/profile-trash.mjs <dataset> repository
//
// <dataset> is a dataset directory of bench/bulk (its berth.db is copied) or a berth.db file.
// Phases, run in the order given (default: repository retention namespace):
//   repository  DELETE of the repository with the most images (startRepositoryDelete)
//   retention   a retention run (keep 10 by created time, untagged deleted) of the namespace
//               with the most live images, its items computed in SQL as a preview would
//               (the store's retention run operation, as a confirm starts it)
//   namespace   delete of the namespace with the second most images (startNamespaceDelete)
// Prints per phase: images, seconds, µs per image, chunk count and chunk times (p50, p95,
// max), then the statements by CPU time (wall ms, CPU ms, share, calls, CPU µs per image),
// prepares, and the time outside SQLite (Kysely, JS, GC, and the checkpoint worker's CPU: the
// process's CPU counts every thread), the CPU per image and the WAL file's size; at the end whether every counter still matches a recount. On a shared machine CPU
// time is the figure to compare; the timing itself adds ~7 µs of CPU per image. The copy lives in $TMPDIR and is removed at the end (PROFILE_KEEP=1 keeps it).
// Environment: BERTH_BULK_CHUNK_IMAGES (250), BERTH_BULK_CHUNK_MS (25; 0: fixed chunks), PROFILE_TOP (statements listed, 14),
// PROFILE_PRAGMAS ("a = 1; b = 2": pragmas set on the writer first, for experiments),
// PROFILE_CHECKPOINTS=writer (WAL checkpoints inside the commits, as before the worker),
// PROFILE_SQL (statements run on the writer before the phases, e.g. to drop an index).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pino = createRequire(path.join(root, 'apps/server/package.json'))('pino');
const { openSqlite, createStore, startRepositoryDelete, startNamespaceDelete, counterMismatches } =
  await import(path.join(root, 'packages/store/dist/index.js'));
const { createOperation, appendOperationItemValues } = await import(
  path.join(root, 'packages/store/dist/operations/operations-store.js')
);
const { initialRunProgress } = await import(
  path.join(root, 'packages/store/dist/retention/retention-run-operation.js')
);
const { createOperationRunner, DEFAULT_OPERATION_SETTINGS } = await import(
  path.join(root, 'apps/server/dist/services/operations/operation-runner.js')
);
const { registerTrashKinds } = await import(
  path.join(root, 'apps/server/dist/services/operations/trash-kinds.js')
);

const [source, ...asked] = process.argv.slice(2);
if (!source) throw new Error('usage: profile-trash.mjs <dataset dir | berth.db> [phase …]');
const phases = asked.length > 0 ? asked : ['repository', 'retention', 'namespace'];
const chunkImages = Number(
  process.env.BERTH_BULK_CHUNK_IMAGES ?? DEFAULT_OPERATION_SETTINGS.chunkImages,
);
const TOP = Number(process.env.PROFILE_TOP ?? 14);

// ---------------------------------------------------------------------------------------------
// Scratch copy

const from = fs.statSync(source).isDirectory() ? path.join(source, 'berth.db') : source;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-profile-'));
const file = path.join(scratch, 'berth.db');
const cleanUp = () => {
  if (process.env.PROFILE_KEEP !== '1') fs.rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
fs.copyFileSync(from, file);
// A dataset left with committed transactions in its WAL needs them too.
if (fs.existsSync(`${from}-wal`) && fs.statSync(`${from}-wal`).size > 0) {
  fs.copyFileSync(`${from}-wal`, `${file}-wal`);
}

let t0 = performance.now();
// As the server opens it (checkpoints on a worker); PROFILE_CHECKPOINTS=writer: in the commits.
const handle = await openSqlite(file, {
  backgroundCheckpoints: process.env.PROFILE_CHECKPOINTS !== 'writer',
});
console.log(`opened ${from} (migrations, statistics) in ${ms(performance.now() - t0)} ms`);
const store = createStore(handle.db);
const raw = handle.raw;
// Experiments: PROFILE_PRAGMAS="wal_autocheckpoint = 0; cache_size = -200000" on the writer.
for (const pragma of (process.env.PROFILE_PRAGMAS ?? '').split(';').filter((p) => p.trim())) {
  raw.pragma(pragma.trim());
  console.log(`writer: PRAGMA ${pragma.trim()}`);
}
// Schema experiments: PROFILE_SQL="CREATE INDEX x ON manifests (digest)" before the phases.
if (process.env.PROFILE_SQL) {
  raw.exec(process.env.PROFILE_SQL);
  console.log(`writer: ${process.env.PROFILE_SQL}`);
}

// ---------------------------------------------------------------------------------------------
// Statement timing: every statement of every connection runs through these three methods.

/** Per SQL text: calls and milliseconds, in the bucket being recorded (null: not recorded). */
let bucket = null;
const Statement = Object.getPrototypeOf(raw.prepare('SELECT 1'));
for (const method of ['run', 'all', 'get']) {
  const original = Statement[method];
  Statement[method] = function timed(...args) {
    if (!bucket) return original.apply(this, args);
    const start = performance.now();
    const cpu = process.cpuUsage();
    try {
      return original.apply(this, args);
    } finally {
      const { user, system } = process.cpuUsage(cpu);
      const key = normalise(this.source);
      const entry = bucket.get(key) ?? { calls: 0, ms: 0, cpuMs: 0 };
      entry.calls++;
      entry.ms += performance.now() - start;
      entry.cpuMs += (user + system) / 1000;
      bucket.set(key, entry);
    }
  };
}

// Preparing (a SQL text the statement cache has not seen, e.g. an `IN (?, ?, …)` list of a new
// length) is counted apart.
const Database = Object.getPrototypeOf(raw);
const prepare = Database.prepare;
Database.prepare = function timedPrepare(...args) {
  if (!bucket) return prepare.apply(this, args);
  const start = performance.now();
  const cpu = process.cpuUsage();
  try {
    return prepare.apply(this, args);
  } finally {
    const { user, system } = process.cpuUsage(cpu);
    const entry = bucket.get('(prepare)') ?? { calls: 0, ms: 0, cpuMs: 0 };
    entry.calls++;
    entry.ms += performance.now() - start;
    entry.cpuMs += (user + system) / 1000;
    bucket.set('(prepare)', entry);
  }
};

/** `IN (?, ?, …)` lists of every length are one statement for the profile. */
const normalised = new Map();
function normalise(sql) {
  let key = normalised.get(sql);
  if (key === undefined) {
    key = sql
      .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?…)')
      .replace(/\s+/g, ' ')
      .trim();
    normalised.set(sql, key);
  }
  return key;
}

// Chunk and finish transactions, timed whole (their statements go to the phase's bucket).
const chunkMs = [];
const operations = store.operations;
const runChunk = operations.runChunk.bind(operations);
operations.runChunk = async (...args) => {
  const start = performance.now();
  try {
    return await runChunk(...args);
  } finally {
    chunkMs.push(performance.now() - start);
  }
};

const logger = pino({ level: 'warn' });
const runner = createOperationRunner(
  { store, logger, clock: () => Date.now() },
  {
    ...DEFAULT_OPERATION_SETTINGS,
    chunkImages,
    // 0: every chunk handles chunkImages, for comparisons on a machine whose load varies.
    chunkTargetMs: Number(
      process.env.BERTH_BULK_CHUNK_MS ?? DEFAULT_OPERATION_SETTINGS.chunkTargetMs,
    ),
  },
);
registerTrashKinds(runner, store, async () => {});
const claim = { owner: runner.owner, leaseMs: runner.settings.leaseMs };
const ctx = () => ({ actor: 'profile', now: Date.now() });

// ---------------------------------------------------------------------------------------------
// Phases: each starts its operation (not profiled) and works it with the runner (profiled).

const starts = {
  async repository() {
    const top = raw
      .prepare(
        `SELECT n.name AS namespace, r.name AS repository, r.image_count AS images
         FROM repositories r JOIN namespaces n ON n.id = r.namespace_id
         WHERE n.deleting = 0 ORDER BY r.image_count DESC LIMIT 1`,
      )
      .get();
    const id = await startRepositoryDelete(
      handle.db,
      top.namespace,
      [top.repository],
      ctx(),
      claim,
    );
    return { id, what: `repository ${top.namespace}/${top.repository} (${top.images} images)` };
  },

  async retention() {
    const ns = namespacesBySize()[0];
    const items = raw
      .prepare(
        `SELECT id AS itemId, revision FROM (
           SELECT m.id, m.revision, row_number() OVER (PARTITION BY m.repository_id
             ORDER BY m.created_sort DESC, m.pushed_at DESC, m.digest DESC) AS rank
           FROM manifests m JOIN repositories r ON r.id = m.repository_id
           WHERE r.namespace_id = ? AND m.listed = 1)
         WHERE rank > 10 ORDER BY id`,
      )
      .all(ns.id);
    const id = await handle.db.transaction().execute(async (trx) => {
      const run = raw
        .prepare(
          `INSERT INTO retention_runs (namespace_id, "trigger", actor, rules, status, started_at)
           VALUES (?, 'preview', 'profile', '{"keepCount":10}', 'running', ?) RETURNING id`,
        )
        .get(ns.id, Date.now());
      const opId = await createOperation(trx, {
        kind: 'retention.confirm',
        namespace: ns.name,
        namespaceId: ns.id,
        target: `retention run ${run.id}`,
        actor: 'profile',
        params: { runId: run.id, reclaimBytes: 0, trigger: {}, skipped: [], skippedCount: 0 },
        now: Date.now(),
        ...claim,
      });
      await appendOperationItemValues(trx, opId, items);
      await trx
        .updateTable('operations')
        .set({ progress: JSON.stringify(initialRunProgress()) })
        .where('id', '=', opId)
        .execute();
      return opId;
    });
    return { id, what: `retention run of ${ns.name}, keep 10 (${items.length} deletions)` };
  },

  async namespace() {
    const list = namespacesBySize();
    const ns = list[1] ?? list[0];
    const id = await startNamespaceDelete(handle.db, ns.name, ctx(), claim);
    return { id, what: `namespace ${ns.name} (${ns.images} images)` };
  },
};

function namespacesBySize() {
  return raw
    .prepare(
      `SELECT id, name, image_count AS images FROM namespaces
       WHERE deleting = 0 ORDER BY image_count DESC`,
    )
    .all();
}

for (const phase of phases) {
  const start = starts[phase];
  if (!start) throw new Error(`unknown phase "${phase}" (repository, retention, namespace)`);
  const { id, what } = await start();
  chunkMs.length = 0;
  bucket = new Map();
  const walBefore = walBytes();
  const cpu = process.cpuUsage();
  t0 = performance.now();
  const ended = await runner.run(id);
  const totalMs = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu);
  const statements = bucket;
  bucket = null;
  if (ended?.state !== 'succeeded') {
    throw new Error(
      `${phase}: the operation ended ${ended?.state}: ${JSON.stringify(ended?.error)}`,
    );
  }
  report(phase, what, ended.total, totalMs, (user + system) / 1000, statements);
  console.log(
    `CPU ${ms(user / 1000)} ms user + ${ms(system / 1000)} ms system ` +
      `= ${((user + system) / ended.total).toFixed(1)} µs/image; ` +
      // The file's size is its longest; reading the -shm for the current length would drop
      // SQLite's locks (closing a descriptor drops the process's POSIX locks on the file).
      `WAL file ${(walBefore / 2 ** 20).toFixed(1)} -> ${(walBytes() / 2 ** 20).toFixed(1)} MiB`,
  );
}

function walBytes() {
  return fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
}

const mismatches = await counterMismatches(handle.db);
console.log(
  mismatches.length === 0
    ? '\ncounters: every one matches a recount'
    : `\ncounters: ${mismatches.length} MISMATCHES\n  ${mismatches.slice(0, 10).join('\n  ')}`,
);
await handle.close();

// ---------------------------------------------------------------------------------------------

function report(phase, what, images, totalMs, cpuMs, statements) {
  const sorted = [...chunkMs].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const perImage = (x) => (images > 0 ? (x * 1000) / images : 0);
  console.log(`\n== ${phase}: ${what}, chunks of ${chunkImages}`);
  console.log(
    `${images} images in ${(totalMs / 1000).toFixed(2)} s = ${perImage(totalMs).toFixed(1)} µs/image; ` +
      `${sorted.length} chunks, ms p50 ${ms(q(0.5))} p95 ${ms(q(0.95))} max ${ms(sorted.at(-1) ?? 0)}`,
  );
  const rows = [...statements].sort((a, b) => b[1].cpuMs - a[1].cpuMs);
  const sum = (list, key) => list.reduce((s, [, e]) => s + e[key], 0);
  // CPU time is the steadier figure on a shared machine; wall time adds the waits for a core.
  console.log('  wall ms  CPU ms  share   calls  CPU µs/image  statement (by CPU time)');
  const line = (wall, cpu, calls, what) =>
    console.log(
      `${ms(wall).padStart(9)} ${ms(cpu).padStart(7)} ${pct(cpu, cpuMs).padStart(6)} ` +
        `${String(calls).padStart(7)} ${perImage(cpu).toFixed(1).padStart(13)}  ${what}`,
    );
  for (const [sql, e] of rows.slice(0, TOP)) line(e.ms, e.cpuMs, e.calls, sql.slice(0, 140));
  const rest = rows.slice(TOP);
  if (rest.length > 0) line(sum(rest, 'ms'), sum(rest, 'cpuMs'), '', '(other statements)');
  line(
    totalMs - sum(rows, 'ms'),
    cpuMs - sum(rows, 'cpuMs'),
    '',
    'outside SQLite (Kysely, JS, runner, GC)',
  );
}

function ms(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function pct(part, whole) {
  return `${((100 * part) / whole).toFixed(1)}%`;
}
