// Bulk-work benchmark (issue 14): how long the large deletes, restores, retention and GC take
// on a large registry, and whether pulls and console pages keep being answered meanwhile.
//
//   ./berth bench bulk         (builds, then runs this script)
//   BENCH_IMAGES=20000 BENCH_BIG=5000 BENCH_REPOSITORIES=200 BENCH_NAMESPACES=4 \
//     node bench/bulk/run.mjs                                    (a quick run)
//
// Seeds .bench-data/large with apps/server/dist/cli/seed-large.js (the dataset of
// bench/api-latency.mjs, reused when its recorded parameters match; other parameters get a
// directory of their own, see dataset.mjs), copies its database and root key into a scratch
// directory, and runs the built server on the copy, calling it with an API key of its first
// admin. A small real image is pushed into a namespace of its own; then, in one server run,
// with a probe (probe.mjs) sending a manifest HEAD of that image and a GET of the namespaces
// page every BENCH_PROBE_MS (50) ms throughout and the server's VmRSS sampled every 500 ms:
//   0. baseline: BENCH_BASELINE_S (3) idle seconds
//   1. DELETE the largest repository (seed-large --big puts it in the first namespace)
//   2. POST …/trash/restore-repository of it
//   3. retention, keep 10 and untagged deleted, in every seeded namespace: all previews, then
//      all confirms (POST …/retention/runs { previewId })
//   4. POST …/retention/runs/:id/restore of each run
//   5. POST /api/v1/gc/runs, dry run then real
//   6. DELETE the namespace whose image count is nearest images / namespaces (not the first)
// Each phase is timed from its first request to the end of its last operation: a 202 answer
// is followed (bulkRequest in operations.mjs) until the operation has ended. A phase whose
// route the server does not have is reported "not available (404)"; a phase that fails is
// reported with its error; either way the run goes on.
// Writes bench/results/bulk.{json,md} and removes the scratch copy. Exits non-zero only when
// it cannot run: a missed target is reported, never a failure (benchmarks report; tests assert).
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ADMIN_USERNAME } from '../lib/credentials.mjs';
import { MiB, children, envInt, freePort, hwmKiB, round, stop } from '../lib/process.mjs';
import { MANIFEST_ACCEPT, RegistryClient } from '../registry/client.mjs';
import { smallImages } from '../registry/layout.mjs';
import { startBerth } from '../retention/server.mjs';
import { LARGE, ensureDataset, removeScratch, scratchCopy, sweepStaleScratch } from './dataset.mjs';
import { NotAvailable, bulkRequest } from './operations.mjs';
import { writeResultFiles } from '../lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const int = envInt;

const params = {
  images: int('BENCH_IMAGES', LARGE.images),
  repositories: int('BENCH_REPOSITORIES', LARGE.repositories),
  namespaces: int('BENCH_NAMESPACES', LARGE.namespaces),
  big: int('BENCH_BIG', LARGE.big),
  seed: int('BENCH_SEED', LARGE.seed),
};
const PROBE_MS = Math.max(1, int('BENCH_PROBE_MS', 50));
const RSS_MS = 500;
const POLL_MS = 200;
const BASELINE_S = int('BENCH_BASELINE_S', 3);
const PHASE_TIMEOUT_S = Math.max(1, int('BENCH_PHASE_TIMEOUT_S', 1800));
/** Probes of one kind left waiting before further ticks are recorded as failed, unsent. */
const MAX_IN_FLIGHT = 200;
const SLOW_MS = 200;
/** How long to wait after a phase for the server to answer the probes sent during it. */
const SETTLE_S = 60;
const TARGETS = { probeP99Ms: 50, probeMaxMs: SLOW_MS, rssMiB: 500 };
const RETENTION_RULES = {
  keepCount: 10,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
};
const PROBE_NAMESPACE = 'bench-probe';
const PROBE_REPOSITORY = 'probe';

const benchData = path.join(root, '.bench-data');
const resultsDir = path.join(root, 'bench', 'results');
const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');
const seedCli = path.join(root, 'apps', 'server', 'dist', 'cli', 'seed-large.js');

const seg = encodeURIComponent;
const nsPath = (ns) => `/api/v1/namespaces/${seg(ns)}`;
const absNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Clean-up: the server and the scratch copy go away however the process ends.

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  removeScratch();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the server and removing the scratch copy`);
    process.exit(128 + os.constants.signals[signal]);
  });
}

// ---------------------------------------------------------------------------------------------
// Setup

async function allNamespaces(client) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
    const page = (await client.expect(200, 'GET', `/api/v1/namespaces?${q}`)).data;
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** The repository with the most images, over every namespace. */
async function largestRepository(client, namespaces) {
  let best = null;
  for (const ns of namespaces) {
    const q = new URLSearchParams({ sort: 'imageCount', order: 'desc', limit: '1' });
    const top = (await client.expect(200, 'GET', `${nsPath(ns.name)}/repositories?${q}`)).data
      .items[0];
    if (top && (!best || top.imageCount > best.imageCount)) best = { namespace: ns.name, ...top };
  }
  if (!best) throw new Error('the dataset has no repositories');
  return best;
}

/** Pushes one small real image over plain HTTP, the API key as the admin's Basic password. */
async function pushProbeImage(server, key, region) {
  await server.client.expect(201, 'POST', '/api/v1/namespaces', {
    json: { name: PROBE_NAMESPACE, region },
  });
  const basic = `Basic ${Buffer.from(`${ADMIN_USERNAME}:${key}`).toString('base64')}`;
  const registry = new RegistryClient(`http://127.0.0.1:${server.port}`, {
    maxSockets: 1,
    headers: { authorization: basic },
  });
  try {
    const [image] = smallImages(1, 4096);
    const name = `${PROBE_NAMESPACE}/${PROBE_REPOSITORY}`;
    await registry.pushImage(name, image);
    const head = await registry.headManifest(name, image.tag);
    if (head.status !== 200) throw new Error(`HEAD of the pushed probe image -> ${head.status}`);
    return { name, tag: image.tag, digest: image.manifest.digest, authorization: basic };
  } finally {
    registry.close();
  }
}

function startProbe(server, key, image) {
  const worker = new Worker(new URL('./probe.mjs', import.meta.url), {
    workerData: {
      port: server.port,
      pid: server.pid,
      intervalMs: PROBE_MS,
      rssIntervalMs: RSS_MS,
      maxInFlight: MAX_IN_FLIGHT,
      probes: [
        {
          kind: 'head',
          method: 'HEAD',
          path: `/v2/${image.name}/manifests/${image.tag}`,
          headers: { authorization: image.authorization, accept: MANIFEST_ACCEPT },
        },
        {
          kind: 'page',
          method: 'GET',
          path: '/api/v1/namespaces?limit=50',
          headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
        },
      ],
    },
  });
  let failure = null;
  const failed = new Promise((_, reject) => {
    worker.once('error', (err) => {
      failure = err;
      reject(err);
    });
  });
  failed.catch(() => {});
  const answer = (type, match = () => true) =>
    Promise.race([
      new Promise((resolve) => {
        const listen = (message) => {
          if (message.type !== type || !match(message)) return;
          worker.off('message', listen);
          resolve(message);
        };
        worker.on('message', listen);
      }),
      failed,
    ]);
  let settles = 0;
  return {
    /**
     * Resolves with the time at which every probe sent before `before` had its answer, or
     * null when some were still waiting `timeoutMs` later.
     */
    async settle(before, timeoutMs) {
      if (failure) throw failure;
      const id = ++settles;
      const settled = answer('settled', (m) => m.id === id);
      worker.postMessage({ type: 'settle', id, before });
      const timedOut = sleep(timeoutMs).then(() => null);
      const message = await Promise.race([settled, timedOut]);
      return message?.at ?? null;
    },
    async stop() {
      const records = answer('records');
      worker.postMessage({ type: 'stop' });
      const data = await records;
      await worker.terminate();
      return data;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Phases

const phases = [];
/** The running probe (startProbe), once the phases begin. */
let probe = null;

/**
 * Runs one phase: `fn` returns what it did ({ images, detail, operations }); its wall time is
 * from before its first request to the end of its last operation.
 */
async function phase(key, title, targetSeconds, fn) {
  const record = { key, title, targetSeconds, startedAt: absNow() };
  process.stdout.write(`  ${title.padEnd(44)} `);
  const t = performance.now();
  try {
    Object.assign(record, { state: 'done' }, await fn());
  } catch (err) {
    record.state = err instanceof NotAvailable ? 'not available' : 'failed';
    record.error = err.message;
  }
  record.seconds = round((performance.now() - t) / 1000, 3);
  record.endedAt = absNow();
  record.met =
    record.state === 'done' && targetSeconds !== null ? record.seconds < targetSeconds : null;
  // The next phase starts once the server has answered this phase's probes, so a backlog
  // left by one phase is not charged to the next; how long that took is a figure of its own.
  const settledAt = probe ? await probe.settle(record.endedAt, SETTLE_S * 1000) : record.endedAt;
  record.backlogSeconds =
    settledAt === null ? null : round(Math.max(0, settledAt - record.endedAt) / 1000, 2);
  const how = record.operations?.length
    ? ` (${record.operations.length} operation(s) followed)`
    : record.state === 'done' && key !== 'baseline'
      ? ' (answered at once)'
      : '';
  const backlog =
    record.backlogSeconds === null
      ? `; probes still unanswered ${SETTLE_S} s after it ended`
      : record.backlogSeconds >= 0.1
        ? `; its probes answered ${record.backlogSeconds} s after it ended`
        : '';
  console.log(
    (record.state === 'done'
      ? `${record.seconds.toFixed(2)} s${record.images === null ? '' : `, ${n(record.images)} images`}${how}`
      : record.state === 'failed'
        ? `failed: ${record.error}`
        : record.error) + backlog,
  );
  phases.push(record);
  return record;
}

const timeoutMs = PHASE_TIMEOUT_S * 1000;
const call = (server, method, target, json) =>
  bulkRequest(server.client, method, target, json, { pollMs: POLL_MS, timeoutMs });
const opsOf = (answers) => answers.map((a) => a.operation).filter(Boolean);

async function runPhases(server, { big, seeded, doomed }) {
  await phase('deleteRepository', `delete ${big.namespace}/${big.name}`, 5, async () => {
    const a = await call(
      server,
      'DELETE',
      `${nsPath(big.namespace)}/repositories/${seg(big.name)}`,
    );
    return { images: a.result?.images ?? null, operations: opsOf([a]) };
  });

  await phase('restoreRepository', `restore ${big.namespace}/${big.name}`, 5, async () => {
    const a = await call(server, 'POST', `${nsPath(big.namespace)}/trash/restore-repository`, {
      repository: big.name,
    });
    return { images: a.result?.restored ?? null, operations: opsOf([a]) };
  });

  const previews = [];
  await phase('retentionPreview', 'retention previews (keep 10)', null, async () => {
    const answers = [];
    for (const ns of seeded) {
      const a = await call(server, 'POST', `${nsPath(ns.name)}/retention/previews`, {
        rules: RETENTION_RULES,
      });
      answers.push(a);
      previews.push({ namespace: ns.name, id: a.result.id, totals: a.result.totals });
    }
    return {
      images: previews.reduce((s, p) => s + p.totals.delete, 0),
      detail: { previews },
      operations: opsOf(answers),
    };
  });

  const runs = [];
  await phase('retentionConfirm', 'retention confirms', 60, async () => {
    if (previews.length === 0) throw new Error('no previews to confirm');
    const answers = [];
    for (const p of previews) {
      const a = await call(server, 'POST', `${nsPath(p.namespace)}/retention/runs`, {
        previewId: p.id,
      });
      answers.push(a);
      const run = a.result.run;
      runs.push({ namespace: p.namespace, id: run.id, deletedImages: run.deletedImages });
    }
    return {
      images: runs.reduce((s, r) => s + r.deletedImages, 0),
      detail: { runs },
      operations: opsOf(answers),
    };
  });

  await phase('restoreRuns', 'restore the retention runs', 60, async () => {
    if (runs.length === 0) throw new Error('no retention runs to restore');
    const answers = [];
    const restored = [];
    for (const r of runs) {
      const a = await call(
        server,
        'POST',
        `${nsPath(r.namespace)}/retention/runs/${seg(r.id)}/restore`,
      );
      answers.push(a);
      restored.push({ namespace: r.namespace, runId: r.id, restored: a.result.restored });
    }
    return {
      images: restored.reduce((s, r) => s + r.restored, 0),
      detail: { restored },
      operations: opsOf(answers),
    };
  });

  for (const dryRun of [true, false]) {
    await phase(dryRun ? 'gcDryRun' : 'gc', dryRun ? 'GC dry run' : 'GC', 10, async () => {
      const a = await call(server, 'POST', '/api/v1/gc/runs', { dryRun });
      const { blobs, bytes, staleLinks, uploads } = a.result;
      return {
        images: null,
        detail: { blobs, bytes, staleLinks, uploads },
        operations: opsOf([a]),
      };
    });
  }

  await phase(
    'deleteNamespace',
    `delete namespace ${doomed.name} (${n(doomed.imageCount)} images)`,
    10,
    async () => {
      const a = await call(server, 'DELETE', nsPath(doomed.name));
      return { images: a.result?.images ?? null, operations: opsOf([a]) };
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Figures

const n = (v) => (v === null || v === undefined ? 'n/a' : v.toLocaleString('en'));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

const KINDS = ['head', 'page'];

/** Probe figures per kind for the probes sent in [from, to). */
function probeStats(records, from, to) {
  const out = {};
  KINDS.forEach((kind, k) => {
    const mine = records.filter((r) => r[0] === k && r[1] >= from && r[1] < to);
    const ms = mine
      .filter((r) => r[2] !== null)
      .map((r) => r[2])
      .sort((a, b) => a - b);
    const failed = mine.filter((r) => r[3] < 200 || r[3] >= 300);
    const slowOrFailed = mine.filter((r) => r[3] < 200 || r[3] >= 300 || r[2] > SLOW_MS);
    out[kind] = {
      sent: mine.filter((r) => r[3] !== -2).length,
      notSent: mine.filter((r) => r[3] === -2).length,
      unanswered: mine.filter((r) => r[3] === -1).length,
      failed: failed.length,
      failedOrSlow: slowOrFailed.length,
      statuses: [...new Set(failed.map((r) => r[3]))],
      p50Ms: round(percentile(ms, 50), 1),
      p99Ms: round(percentile(ms, 99), 1),
      maxMs: round(ms.at(-1) ?? null, 1),
    };
    const s = out[kind];
    // A phase too short for a probe tick has no figure to meet or miss.
    s.met =
      mine.length === 0
        ? null
        : s.failed === 0 &&
          s.p99Ms !== null &&
          s.p99Ms < TARGETS.probeP99Ms &&
          s.maxMs < TARGETS.probeMaxMs;
  });
  return out;
}

function maxRssMiB(rss, from, to) {
  // With the first sample after the end, so a phase shorter than the interval has one too.
  const inside = rss.filter(([t]) => t >= from && t < to + RSS_MS).map(([, kib]) => kib);
  return inside.length ? round(Math.max(...inside) / 1024, 1) : null;
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const triple = (s) => `${fmt(s.p50Ms)} / ${fmt(s.p99Ms)} / ${fmt(s.maxMs)}`;
const metText = (m) => (m === null ? '—' : m ? 'met' : '**missed**');

function phaseResult(p) {
  if (p.state === 'not available') return 'not available (404)';
  if (p.state === 'failed') return `failed: ${p.error.replace(/\|/g, '\\|').slice(0, 200)}`;
  const parts = [];
  if (p.images !== null && p.images !== undefined) parts.push(`${n(p.images)} images`);
  if (p.detail?.blobs !== undefined) {
    parts.push(`${n(p.detail.blobs)} blobs, ${n(p.detail.staleLinks)} stale links`);
  }
  parts.push(
    p.operations?.length
      ? `${p.operations.length} operation(s) followed (202)`
      : 'answered at once (200/201)',
  );
  return parts.join('; ');
}

function markdown(report) {
  const d = report.dataset;
  const lines = [
    `# Bulk work (${report.at})`,
    '',
    `Dataset: ${n(d.images)} images, ${n(d.repositories)} repositories, ${d.namespaces} namespaces; ` +
      `largest repository \`${d.bigRepository}\` with ${n(d.bigRepositoryImages)} images ` +
      `(seed-large${d.reused ? ', reused' : ''}, \`.bench-data/${d.name}\`), ` +
      `copied for the run (${fmt(d.copyMiB, 0)} MiB in ${fmt(d.copySeconds, 1)} s) and the copy removed afterwards. ` +
      `A probe image (\`${report.probe.image}\`, 1 layer) pushed into a namespace of its own.`,
    '',
    `Machine: ${report.machine.cpus} CPUs, Node ${report.machine.node}; 1-min load average ` +
      `${report.machine.loadAverageAtStart} at the start (other work on the machine makes every figure noisier). ` +
      `Server RSS ${fmt(report.server.rssStartMiB)} MiB after start, peak ${fmt(report.server.peakMiB)} MiB (VmHWM).`,
    '',
    `One server run, phases in this order, each timed from its first request to the end of its ` +
      `last operation (a 202 answer followed by polling \`GET /api/v1/operations/:id\` every ${POLL_MS} ms). ` +
      `Throughout, every ${PROBE_MS} ms and without waiting for the previous answer, the probe sends ` +
      `a manifest \`HEAD\` of the probe image (Basic auth, the API key as password) and ` +
      `\`GET /api/v1/namespaces?limit=50\` (Bearer); the server's VmRSS is sampled every ${RSS_MS} ms.`,
    '',
    '| Phase | Result | Time, s | Target | Met? |',
    '| --- | --- | ---: | --- | --- |',
    ...report.phases
      .filter((p) => p.key !== 'baseline')
      .map(
        (p) =>
          `| ${p.title} | ${phaseResult(p)} | ${p.state === 'done' ? fmt(p.seconds, 2) : '—'} | ` +
          `${p.targetSeconds === null ? '—' : `< ${p.targetSeconds} s`} | ${metText(p.met)} |`,
      ),
    '',
    `Probe latency per phase, p50 / p99 / max in ms (target p99 < ${TARGETS.probeP99Ms} ms, ` +
      `max < ${TARGETS.probeMaxMs} ms, no errors), probes that failed or took over ${SLOW_MS} ms, ` +
      `how long after the phase's end the server answered the last probe sent during it (backlog; ` +
      `the next phase starts then, at most ${SETTLE_S} s later), ` +
      `and the server's largest RSS sample (target < ${TARGETS.rssMiB} MiB). A probe tick finding ` +
      `${MAX_IN_FLIGHT} probes of its kind still unanswered is counted as failed and not sent.`,
    '',
    '| Phase | Manifest HEAD, ms | Namespaces page, ms | Probes | Failed or > 200 ms | Backlog, s | Probe target | Max RSS, MiB | RSS target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
    ...report.phases.map((p) => {
      const { head, page } = p.probe;
      const backlog = p.backlogSeconds === null ? `> ${SETTLE_S}` : fmt(p.backlogSeconds, 2);
      return (
        `| ${p.title} | ${triple(head)} | ${triple(page)} | ${n(head.sent + page.sent)} | ` +
        `${n(head.failedOrSlow + page.failedOrSlow)} | ${backlog} | ${metText(head.met === null ? null : head.met && page.met)} | ` +
        `${fmt(p.maxRssMiB)} | ${metText(p.maxRssMiB === null ? null : p.maxRssMiB < TARGETS.rssMiB)} |`
      );
    }),
    '',
  ];
  const retention = ['retentionPreview', 'retentionConfirm'].map((k) =>
    report.phases.find((p) => p.key === k),
  );
  if (retention.every((p) => p?.state === 'done')) {
    lines.push(
      `Retention preview + confirm: ${fmt(retention[0].seconds + retention[1].seconds, 2)} s ` +
        `over ${retention[1].detail.runs.length} namespaces.`,
      '',
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  for (const f of [serverMain, seedCli]) {
    if (!fs.existsSync(f))
      throw new Error(`${path.relative(root, f)} is missing: run ./berth build`);
  }
  const loadAverageAtStart = round(os.loadavg()[0], 2);
  sweepStaleScratch(benchData);
  const dataset = await ensureDataset(benchData, params, seedCli);
  const copy = scratchCopy(benchData, dataset);
  console.log(
    `copied ${path.relative(root, dataset.dir)} to ${path.relative(root, copy.dir)} ` +
      `(${(copy.bytes / MiB).toFixed(0)} MiB) in ${copy.copySeconds.toFixed(1)} s`,
  );
  const port = await freePort();
  const server = await startBerth({ serverMain, dataDir: copy.dir, port, label: 'berth' });
  try {
    const startupMs = Math.round(server.startupMs);
    console.log(`berth pid ${server.pid} on port ${port}, healthy after ${startupMs} ms`);
    const key = server.client.headers.authorization.slice('Bearer '.length);
    const rssStartMiB = round(
      Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) /
        1024,
      1,
    );

    const namespaces = await allNamespaces(server.client);
    const seeded = namespaces.filter((ns) => ns.name !== PROBE_NAMESPACE);
    if (seeded.length === 0) throw new Error('the dataset has no namespaces');
    const big = await largestRepository(server.client, seeded);
    // The namespace to delete last: the one nearest an average namespace, not the big one's.
    const average = params.images / params.namespaces;
    const doomed =
      [...seeded]
        .filter((ns) => ns.name !== big.namespace)
        .sort(
          (a, b) =>
            Math.abs(a.imageCount - average) - Math.abs(b.imageCount - average) ||
            b.name.localeCompare(a.name),
        )[0] ?? seeded[0];
    const image = await pushProbeImage(server, key, dataset.seed.region ?? 'local');
    console.log(
      `largest repository ${big.namespace}/${big.name} (${n(big.imageCount)} images); ` +
        `probe image ${image.name}:${image.tag}`,
    );

    probe = startProbe(server, key, image);
    console.log(
      `\nphases (probe every ${PROBE_MS} ms, RSS every ${RSS_MS} ms; targets: delete/restore ` +
        `repository < 5 s, retention confirm and run restore < 60 s, GC < 10 s, namespace delete < 10 s)`,
    );
    await phase('baseline', `baseline (${BASELINE_S} s idle)`, null, async () => {
      await sleep(BASELINE_S * 1000);
      return { images: null };
    });
    await runPhases(server, { big, seeded, doomed });
    const probed = await probe.stop();
    probe = null;
    if (process.env.BENCH_PROBE_LOG) {
      // Every probe as [kind, sentAt, ms, status] and the phases' bounds, for a closer look.
      const bounds = phases.map(({ key, startedAt, endedAt }) => ({ key, startedAt, endedAt }));
      fs.writeFileSync(
        process.env.BENCH_PROBE_LOG,
        JSON.stringify({ kinds: KINDS, phases: bounds, records: probed.records, rss: probed.rss }),
      );
    }
    const peakMiB = round(hwmKiB(server.pid) / 1024, 1);

    for (const p of phases) {
      p.probe = probeStats(probed.records, p.startedAt, p.endedAt);
      p.maxRssMiB = maxRssMiB(probed.rss, p.startedAt, p.endedAt);
    }
    const report = {
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model?.trim() ?? null,
        memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
        platform: `${os.platform()} ${os.arch()}`,
        node: process.version,
        loadAverageAtStart,
        loadAverageAtEnd: round(os.loadavg()[0], 2),
      },
      dataset: {
        ...params,
        name: dataset.name,
        reused: dataset.reused,
        seedSeconds: dataset.seed.seconds,
        bigRepository: `${big.namespace}/${big.name}`,
        bigRepositoryImages: big.imageCount,
        deletedNamespace: doomed.name,
        deletedNamespaceImages: doomed.imageCount,
        copyMiB: round(copy.bytes / MiB, 1),
        copySeconds: round(copy.copySeconds, 2),
      },
      server: { startupMs, rssStartMiB, peakMiB },
      probe: {
        image: `${image.name}:${image.tag}`,
        intervalMs: PROBE_MS,
        slowMs: SLOW_MS,
        maxInFlight: MAX_IN_FLIGHT,
      },
      targets: {
        seconds: Object.fromEntries(phases.map((p) => [p.key, p.targetSeconds])),
        ...TARGETS,
      },
      phases: phases.map(({ startedAt, endedAt, ...p }) => ({
        ...p,
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(endedAt).toISOString(),
      })),
    };
    await writeResults(report);
  } finally {
    if (probe) await probe.stop().catch(() => {});
    server.client.close();
    await stop(server.child);
    removeScratch();
  }
}

async function writeResults(report) {
  await writeResultFiles(resultsDir, 'bulk', report, markdown(report));
  const missed = report.phases.filter(
    (p) =>
      p.met === false ||
      p.probe.head.met === false ||
      p.probe.page.met === false ||
      (p.maxRssMiB !== null && p.maxRssMiB >= TARGETS.rssMiB),
  ).length;
  if (missed) console.log(`${missed} phase(s) missed a target (reported, not a failure)`);
  const absent = report.phases.filter((p) => p.state !== 'done').length;
  if (absent) console.log(`${absent} phase(s) not available or failed (reported, not a failure)`);
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGKILL');
    removeScratch();
  });
