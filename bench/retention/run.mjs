// Retention benchmark: previews over a large synthetic namespace, paging and downloading one,
// and confirming a preview on a smaller one.
//
//   ./berth bench retention    (builds, then runs this script)
//   BENCH_IMAGES=100000 BENCH_REPOSITORIES=1000 BENCH_CONFIRM_IMAGES=20000 \
//     node bench/retention/run.mjs                               (a quick run)
//
// Seeds <os tmpdir>/berth-bench-retention/{preview,confirm}/seed with
// apps/server/dist/cli/seed-large.js (one namespace, bench-0001; reused while the parameters
// recorded in seed.json match), and runs the built server on a fresh copy of each database,
// calling it with an API key of its first admin (bench/lib/credentials.mjs) as a client would:
//   1. BENCH_IMAGES images in BENCH_REPOSITORIES repositories: one warm-up preview, then
//      BENCH_PREVIEWS timed previews of a heavy policy (keep 10, untagged deleted: ~90 % of the
//      images go) and of a light one (keep 100, untagged retained: few go); wall time per
//      POST .../retention/previews, to the last byte of the answer
//   2. the server's peak RSS over those previews (VmHWM of the process) and its RSS before
//   3. BENCH_ITEMS_REQUESTS GETs of a 50-item page of the last heavy preview, every other one
//      filtered to a repository, and the download of that preview's CSV (time, size, lines)
//   4. BENCH_CONFIRM_IMAGES images in BENCH_CONFIRM_REPOSITORIES repositories (default: 100
//      images a repository, as above; 0 images skips it), on a second server: a preview keeping
//      50 and retaining untagged images, then POST .../retention/runs confirming it (images
//      moved to the trash per second), given at most BENCH_CONFIRM_TIMEOUT_S seconds
// Writes bench/results/retention.{json,md}. Exits non-zero only when it cannot run: a missed
// target (or a confirmation that timed out) is reported, never a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams, fileURLToPath } from 'node:url';
import {
  ensureSeeded,
  removeRunDirs,
  removeWorkingCopy,
  sweepStaleRunDirs,
  workingCopy,
} from './dataset.mjs';
import { RequestTimeout, startBerth } from './server.mjs';
import { bulkRequest } from '../bulk/operations.mjs';
import {
  MiB,
  children,
  envInt,
  envPositive,
  freePort,
  hwmKiB,
  round,
  rssKiB,
  stop,
} from '../lib/process.mjs';
import { writeResultFiles } from '../lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const int = envInt;
const positive = envPositive;

const NAMESPACE = 'bench-0001'; // seed-large's first namespace
const TARGETS = { previewSeconds: 2, rssMiB: 500 };
const POLICIES = {
  heavy: { keepCount: 10, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
  light: { keepCount: 100, retainUntagged: true, excludeTags: [], excludeRepositories: [] },
  confirm: { keepCount: 50, retainUntagged: true, excludeTags: [], excludeRepositories: [] },
};

const dataset = {
  images: positive('BENCH_IMAGES', 1_000_000),
  repositories: positive('BENCH_REPOSITORIES', 10_000),
  namespaces: 1,
  big: 0,
  seed: int('BENCH_SEED', 1),
};
const confirmImages = int('BENCH_CONFIRM_IMAGES', 100_000);
const confirmDataset =
  confirmImages === 0
    ? null
    : {
        images: confirmImages,
        repositories: positive(
          'BENCH_CONFIRM_REPOSITORIES',
          Math.max(1, Math.round(confirmImages / 100)),
        ),
        namespaces: 1,
        big: 0,
        seed: dataset.seed,
      };
const PREVIEWS = positive('BENCH_PREVIEWS', 5);
const ITEMS_REQUESTS = positive('BENCH_ITEMS_REQUESTS', 20);
const CONFIRM_TIMEOUT_S = positive('BENCH_CONFIRM_TIMEOUT_S', 600);
const PAGE = 50;

const resultsDir = path.join(root, 'bench', 'results');
const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');
const seedCli = path.join(root, 'apps', 'server', 'dist', 'cli', 'seed-large.js');

const seg = encodeURIComponent;
const api = {
  previews: `/api/v1/namespaces/${seg(NAMESPACE)}/retention/previews`,
  items: (id, q) =>
    `/api/v1/namespaces/${seg(NAMESPACE)}/retention/previews/${seg(id)}/items?${new URLSearchParams(q)}`,
  repositories: (id, q) =>
    `/api/v1/namespaces/${seg(NAMESPACE)}/retention/previews/${seg(id)}/repositories?${new URLSearchParams(q)}`,
  csv: (id) => `/api/v1/namespaces/${seg(NAMESPACE)}/retention/previews/${seg(id)}/csv`,
  runs: `/api/v1/namespaces/${seg(NAMESPACE)}/retention/runs`,
};

// ---------------------------------------------------------------------------------------------
// Clean-up: servers and working copies go away however the process ends.

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  removeRunDirs();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and removing this run's working copies`);
    process.exit(128 + os.constants.signals[signal]);
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stats(ms) {
  return {
    runsMs: ms.map((v) => round(v, 1)),
    minMs: round(Math.min(...ms), 1),
    medianMs: round(median(ms), 1),
    maxMs: round(Math.max(...ms), 1),
  };
}

const n = (v) => (v === null || v === undefined ? 'n/a' : v.toLocaleString('en'));
const seconds = (ms) => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(2));
const mibOf = (bytes) => round(bytes / MiB, 1);
const gib = (bytes) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const pct = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a');

/** Starts a server on a fresh copy of `seeded`, runs `fn`, then stops it and drops the copy. */
async function withServer(name, seeded, fn) {
  const copy = workingCopy(name, seeded);
  const port = await freePort();
  let server = null;
  try {
    server = await startBerth({ serverMain, dataDir: copy.dir, port, label: `berth ${name}` });
    console.log(
      `berth (${name}) pid ${server.pid} on port ${port}, healthy after ${Math.round(server.startupMs)} ms ` +
        `(database copied in ${copy.copySeconds.toFixed(1)} s)`,
    );
    return await fn(server, copy);
  } finally {
    server?.client.close();
    await stop(server?.child);
    removeWorkingCopy(copy.dir);
  }
}

async function preview(client, rules) {
  const res = await client.expect(201, 'POST', api.previews, { json: { rules } });
  return { ms: res.ms, bytes: res.bytes, preview: res.data };
}

// ---------------------------------------------------------------------------------------------
// Measures

async function measurePreviews(server) {
  const rssBeforeKiB = rssKiB(server.pid);
  const warm = await preview(server.client, POLICIES.heavy);
  console.log(`  warm-up preview (heavy)                 ${seconds(warm.ms)} s`);
  const out = {};
  for (const policy of ['heavy', 'light']) {
    const ms = [];
    let last = null;
    for (let i = 0; i < PREVIEWS; i++) {
      last = await preview(server.client, POLICIES[policy]);
      ms.push(last.ms);
    }
    const s = stats(ms);
    const { totals } = last.preview;
    out[policy] = {
      rules: POLICIES[policy],
      ...s,
      met: s.maxMs < TARGETS.previewSeconds * 1000,
      responseBytes: last.bytes,
      lastPreviewId: last.preview.id,
      totals,
      repositories: await allRepositories(server.client, last.preview.id),
    };
    console.log(
      `  preview ${policy.padEnd(5)} x${PREVIEWS}  min ${seconds(s.minMs)}  median ${seconds(s.medianMs)}  ` +
        `max ${seconds(s.maxMs)} s; ${n(totals.images)} images, delete ${n(totals.delete)} ` +
        `(${pct(totals.delete, totals.images)}), reclaim ${gib(totals.reclaimBytes)}`,
    );
  }
  const rss = {
    beforeMiB: round(rssBeforeKiB / 1024, 1),
    afterMiB: round(rssKiB(server.pid) / 1024, 1),
    peakMiB: round(hwmKiB(server.pid) / 1024, 1),
  };
  rss.met = rss.peakMiB < TARGETS.rssMiB;
  console.log(
    `  server RSS ${rss.beforeMiB} MiB before the previews, peak ${rss.peakMiB} MiB (VmHWM), ` +
      `${rss.afterMiB} MiB after`,
  );
  return { warmupMs: round(warm.ms, 1), heavy: out.heavy, light: out.light, rss };
}

/** Every repository of a preview, most deletions first, as the API pages them. */
async function allRepositories(client, previewId) {
  const all = [];
  for (;;) {
    const res = await client.expect(
      200,
      'GET',
      api.repositories(previewId, { offset: String(all.length), limit: '200' }),
    );
    all.push(...res.data.items);
    if (res.data.items.length === 0 || all.length >= res.data.total) return all;
  }
}

async function measureItems(server, previewId, repositories) {
  // Repositories spread over the preview's list (most deletions first).
  const picks = [];
  const wanted = Math.ceil(ITEMS_REQUESTS / 2);
  for (let i = 0; i < wanted && repositories.length; i++) {
    picks.push(repositories[Math.floor((i * repositories.length) / wanted)].name);
  }
  const url = (i) =>
    i % 2 === 0 || picks.length === 0
      ? api.items(previewId, { limit: PAGE })
      : api.items(previewId, { repository: picks[Math.floor(i / 2) % picks.length], limit: PAGE });
  for (let i = 0; i < 2; i++) await server.client.expect(200, 'GET', url(i));
  const all = [];
  const plain = [];
  const filtered = [];
  let items = 0;
  for (let i = 0; i < ITEMS_REQUESTS; i++) {
    const res = await server.client.expect(200, 'GET', url(i));
    if (res.data.items.length === 0) throw new Error(`GET ${url(i)} answered no items`);
    items = Math.max(items, res.data.items.length);
    all.push(res.ms);
    (i % 2 === 0 || picks.length === 0 ? plain : filtered).push(res.ms);
  }
  const result = {
    requests: ITEMS_REQUESTS,
    limit: PAGE,
    items,
    ...stats(all),
    unfilteredMedianMs: round(median(plain), 1),
    repositoryMedianMs: round(median(filtered), 1),
    repositories: picks,
  };
  console.log(
    `  items page x${ITEMS_REQUESTS}         median ${result.medianMs} ms (unfiltered ` +
      `${result.unfilteredMedianMs}, by repository ${result.repositoryMedianMs}), max ${result.maxMs} ms`,
  );
  return result;
}

async function measureCsv(server, previewId, images) {
  const res = await server.client.expect(200, 'GET', api.csv(previewId), {
    count: true,
    timeoutMs: 600_000,
  });
  const result = {
    ms: round(res.ms, 1),
    bytes: res.bytes,
    mib: mibOf(res.bytes),
    lines: res.lines,
    expectedLines: images + 1,
    contentType: res.headers['content-type'] ?? null,
  };
  console.log(
    `  CSV download                      ${seconds(res.ms)} s, ${result.mib} MiB, ${n(res.lines)} lines` +
      `${res.lines === images + 1 ? '' : ` (expected ${n(images + 1)})`}`,
  );
  return result;
}

async function measureConfirm(server) {
  const p = await preview(server.client, POLICIES.confirm);
  const { totals } = p.preview;
  console.log(
    `  preview (keep 50, untagged retained)  ${seconds(p.ms)} s; delete ${n(totals.delete)} of ` +
      `${n(totals.images)} images`,
  );
  const result = {
    rules: POLICIES.confirm,
    previewMs: round(p.ms, 1),
    previewTotals: totals,
    timeoutSeconds: CONFIRM_TIMEOUT_S,
    timedOut: false,
  };
  try {
    // More than one chunk of images is an operation (202), followed to its end.
    const started = performance.now();
    const answer = await bulkRequest(
      server.client,
      'POST',
      api.runs,
      { previewId: p.preview.id },
      { timeoutMs: CONFIRM_TIMEOUT_S * 1000 },
    );
    const res = { ms: performance.now() - started };
    const { run } = answer.result;
    Object.assign(result, {
      ms: round(res.ms, 1),
      answeredAs: answer.operation ? 'operation (202)' : 'result (201)',
      status: run.status,
      deletedImages: run.deletedImages,
      deletedBytes: run.deletedBytes,
      reclaimBytes: run.reclaimBytes,
      skippedImages: run.skippedImages,
      imagesPerSecond: round(run.deletedImages / (res.ms / 1000), 0),
    });
    console.log(
      `  confirm                           ${seconds(res.ms)} s; ${n(run.deletedImages)} images to the ` +
        `trash (${n(result.imagesPerSecond)} images/s), ${n(run.skippedImages)} skipped, ${run.status}`,
    );
  } catch (err) {
    if (!(err instanceof RequestTimeout) && !/still running after/.test(String(err))) throw err;
    result.timedOut = true;
    console.log(`  confirm                           timed out after ${CONFIRM_TIMEOUT_S} s`);
  }
  result.peakRssMiB = round(hwmKiB(server.pid) / 1024, 1);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

function summaryRows(r) {
  const { heavy, light, rss } = r.previews;
  const met = (ok) => (ok ? 'met' : '**missed**');
  const decided = (p) =>
    `${n(p.totals.images)} images in ${n(p.totals.repositories)} repositories: keep ${n(p.totals.keep)}, ` +
    `protected ${n(p.totals.protected)}, delete ${n(p.totals.delete)} (${pct(p.totals.delete, p.totals.images)}); ` +
    `reclaim ${gib(p.totals.reclaimBytes)}`;
  const rows = [
    [
      `Preview, heavy (keep 10, untagged deleted): median / max of ${PREVIEWS}, s`,
      `${seconds(heavy.medianMs)} / ${seconds(heavy.maxMs)}`,
      `< ${TARGETS.previewSeconds} s each`,
      met(heavy.met),
    ],
    ['… what it decided', decided(heavy), '—', '—'],
    [
      `Preview, light (keep 100, untagged retained): median / max of ${PREVIEWS}, s`,
      `${seconds(light.medianMs)} / ${seconds(light.maxMs)}`,
      `< ${TARGETS.previewSeconds} s each`,
      met(light.met),
    ],
    ['… what it decided', decided(light), '—', '—'],
    [
      `Peak server RSS over the ${2 * PREVIEWS + 1} previews (VmHWM), MiB`,
      String(rss.peakMiB),
      `< ${TARGETS.rssMiB} MiB`,
      met(rss.met),
    ],
    ['Server RSS before the previews, MiB', String(rss.beforeMiB), '—', '—'],
    [
      `Items page (limit ${PAGE}) of the heavy preview: median of ${r.items.requests}, ms`,
      `${r.items.medianMs} (unfiltered ${r.items.unfilteredMedianMs}, by repository ${r.items.repositoryMedianMs}; max ${r.items.maxMs})`,
      '—',
      '—',
    ],
    [
      'CSV download of the heavy preview, s',
      `${seconds(r.csv.ms)} (${r.csv.mib} MiB, ${n(r.csv.lines)} lines)`,
      '—',
      '—',
    ],
    ['Peak server RSS over the whole run (VmHWM), MiB', String(r.server.peakRssMiB), '—', '—'],
  ];
  const c = r.confirm;
  if (c) {
    const what = `${n(c.dataset.images)} images, ${n(c.dataset.repositories)} repositories; keep 50, untagged retained`;
    rows.push([
      `Confirm (${what}), images to the trash per second`,
      c.timedOut
        ? `timed out after ${c.timeoutSeconds} s (${n(c.previewTotals.delete)} previewed deletions)`
        : `${n(c.imagesPerSecond)} (${n(c.deletedImages)} images in ${seconds(c.ms)} s)`,
      '—',
      '—',
    ]);
  }
  return rows;
}

function markdown(r) {
  const d = r.dataset;
  return [
    `# Retention (${r.at})`,
    '',
    `Dataset: ${n(d.images)} images in ${n(d.repositories)} repositories of one namespace ` +
      `(\`${NAMESPACE}\`), metadata only, seeded by \`seed-large\` (about 70 % tagged, 3 % without a ` +
      `created time, 3 layers each from a shared pool) in ${d.seed.seconds} s` +
      `${d.reused ? ' (reused)' : ''}; database ${mibOf(d.seed.dbBytes)} MiB, copied afresh for the run.`,
    '',
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB RAM, ` +
      `${r.machine.kernel}, Node ${r.machine.node}; 1-min load average ${r.machine.loadAverageAtStart} ` +
      'at the start (other work on the machine makes every figure noisier).',
    '',
    `Each preview is one \`POST …/retention/previews\`, timed to the last byte of the answer, ` +
      `after one warm-up preview; requests one at a time over a keep-alive connection, each with ` +
      "the admin's API key as `Authorization: Bearer`.",
    '',
    '| Measure | Result | Target | Met? |',
    '| --- | --- | --- | --- |',
    ...summaryRows(r).map((cells) => `| ${cells.join(' | ')} |`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  for (const f of [serverMain, seedCli]) {
    if (!fs.existsSync(f))
      throw new Error(`${path.relative(root, f)} is missing: run ./berth build`);
  }
  const loadAverageAtStart = round(os.loadavg()[0], 2);
  console.log(
    `retention benchmark: ${JSON.stringify({ ...dataset, previews: PREVIEWS, confirm: confirmDataset })}`,
  );
  sweepStaleRunDirs();
  const seeded = await ensureSeeded('preview', dataset, seedCli);
  const confirmSeeded = confirmDataset
    ? await ensureSeeded('confirm', confirmDataset, seedCli)
    : null;

  console.log(`\n== previews over ${n(dataset.images)} images`);
  const measured = await withServer('preview', seeded, async (server) => {
    const previews = await measurePreviews(server);
    if (previews.heavy.totals.images !== dataset.images) {
      console.log(
        `  note: the preview decided ${n(previews.heavy.totals.images)} images, not ${n(dataset.images)}`,
      );
    }
    const id = previews.heavy.lastPreviewId;
    const items = await measureItems(server, id, previews.heavy.repositories);
    const csv = await measureCsv(server, id, previews.heavy.totals.images);
    return {
      previews,
      items,
      csv,
      server: {
        startupMs: Math.round(server.startupMs),
        peakRssMiB: round(hwmKiB(server.pid) / 1024, 1),
      },
    };
  });
  // The per-repository lists were needed for the items pages only.
  for (const p of [measured.previews.heavy, measured.previews.light]) delete p.repositories;

  let confirm = null;
  if (confirmSeeded) {
    console.log(`\n== confirm over ${n(confirmDataset.images)} images`);
    confirm = await withServer('confirm', confirmSeeded, measureConfirm);
    confirm.dataset = { ...confirmDataset, seed: confirmSeeded.seed, reused: confirmSeeded.reused };
  }

  const cpus = os.cpus();
  const report = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model?.trim() ?? null,
      memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
      kernel: `${os.type()} ${os.release()}`,
      platform: `${os.platform()} ${os.arch()}`,
      node: process.version,
      loadAverageAtStart,
      loadAverageAtEnd: round(os.loadavg()[0], 2),
    },
    targets: {
      previewSeconds: `< ${TARGETS.previewSeconds} for each timed preview`,
      peakRssMiB: `< ${TARGETS.rssMiB}`,
    },
    dataset: { ...dataset, namespace: NAMESPACE, seed: seeded.seed, reused: seeded.reused },
    ...measured,
    confirm,
  };

  await writeResultFiles(resultsDir, 'retention', report, markdown(report));
  const missed = [
    measured.previews.heavy.met,
    measured.previews.light.met,
    measured.previews.rss.met,
  ].filter((ok) => !ok).length;
  if (missed) console.log(`${missed} target(s) missed (reported, not a failure)`);
  if (confirm?.timedOut) console.log('the confirmation timed out (reported, not a failure)');
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGKILL');
    removeRunDirs();
  });
