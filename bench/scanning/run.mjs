// Vulnerability scanning benchmark (issue 17): what a scan costs the server, how long a
// re-match of every stored inventory takes, and whether scan-on-push slows pushes.
//
//   ./berth bench scanning   (builds, then runs this script)
//   BENCH_SCAN_LAYER_MIB=10 BENCH_REMATCH_IMAGES=500 BENCH_ADVISORIES=2000 \
//     node bench/scanning/run.mjs                                    (a quick run)
//
// Measures, against `node apps/server/dist/main.js` on fresh data directories (BERTH_DEMO=0),
// pushing over keep-alive HTTP with the admin's API key (bench/registry/client.mjs):
//   1. a BENCH_SCAN_LAYERS x BENCH_SCAN_LAYER_MIB image (gzip layers of random bytes in tar
//      files; the first also holds etc/os-release and a small var/lib/dpkg/status): push time,
//      then the time from the manifest PUT until GET …/images/{digest}/scan answers a result
//      (polled every BENCH_SCAN_POLL_MS), the server's VmHWM before and after the scan and the
//      CPU seconds it spent meanwhile
//   2. a BENCH_SCAN_PACKAGES-package Debian 12 image (one small layer), after importing as many
//      `Debian:12` OSV advisories with `advisories import` (three in four of them affect the
//      installed version): scan time (median of BENCH_SCAN_REPEAT) and findings
//   3. in a child process of this script (so its peak RSS is the re-match's own): a SQLite
//      store seeded with BENCH_REMATCH_IMAGES live images (the bulk loader), a stored result
//      for each with BENCH_IMAGE_PACKAGES deb packages drawn from BENCH_PACKAGE_POOL names, and
//      BENCH_ADVISORIES advisories over that pool; then an import that changed the data and the
//      scan service's sweep, which re-matches every live image's newest result (timed)
//   4. the image of 1 pushed BENCH_PUSH_RUNS times with BERTH_SCAN_ON_PUSH=1 and as many with
//      =0, in turns (on, off, off, on, …), each on a server of its own with fresh random content: median push time
//      and MiB/s of each
// Writes bench/results/scanning.{json,md}. BENCH_REMATCH_CPU_PROF=1 (the re-match child) and
// BENCH_SCAN_CPU_PROF=1 (the server of 1 and 2) write CPU profiles to .bench-data/scanning/ and
// print where the time went; BENCH_KEEP_DATA=1 keeps the data directories.
// Exits non-zero only when it cannot run; a missed target is reported, never a failure.
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { RegistryClient } from '../registry/client.mjs';
import { MEDIA, tarHeader } from '../registry/layout.mjs';
import { NAMESPACE, startBerth } from '../registry/servers.mjs';
import { formatSummary, readProfile, summarizeProfile } from '../lib/cpu-profile.mjs';
import {
  MiB,
  children,
  cpuSeconds,
  envInt,
  envPositive,
  freePort,
  hwmKiB,
  round,
  rssKiB,
  run,
  sampleRss,
  stop,
} from '../lib/process.mjs';
import { writeResultFiles } from '../lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const params = {
  layers: envPositive('BENCH_SCAN_LAYERS', 5),
  layerMiB: envPositive('BENCH_SCAN_LAYER_MIB', 100),
  debPackages: envPositive('BENCH_SCAN_PACKAGES', 1000),
  scanRepeat: envPositive('BENCH_SCAN_REPEAT', 3),
  pollMs: envPositive('BENCH_SCAN_POLL_MS', 100),
  rematchImages: envPositive('BENCH_REMATCH_IMAGES', 10_000),
  advisories: envPositive('BENCH_ADVISORIES', 50_000),
  packagePool: envPositive('BENCH_PACKAGE_POOL', 5_000),
  imagePackages: envPositive('BENCH_IMAGE_PACKAGES', 100),
  pushRuns: envPositive('BENCH_PUSH_RUNS', 3),
};
const PARTS = ['scans', 'pushes', 'rematch'];
/** Parts to run (a profile or a check of one part); the results files need all three. */
const parts = (process.env.BENCH_SCAN_PARTS || PARTS.join(','))
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const p of parts) {
  if (!PARTS.includes(p))
    throw new Error(`BENCH_SCAN_PARTS: unknown part "${p}" (use ${PARTS.join(', ')})`);
}
const KEEP_DATA = envInt('BENCH_KEEP_DATA', 0) === 1;
const CPU_PROF = envInt('BENCH_REMATCH_CPU_PROF', 0) === 1;
const SERVER_CPU_PROF = envInt('BENCH_SCAN_CPU_PROF', 0) === 1;
/** A scan-on-push median this close to the off median is within noise (issue 17: unchanged). */
const PUSH_NOISE = 0.05;
const DAY = 86_400_000;
const KEEP_MS = 30 * DAY;

const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');
const advisoriesCli = path.join(root, 'apps', 'server', 'dist', 'cli', 'advisories.js');
const storeDist = path.join(root, 'packages', 'store', 'dist', 'index.js');
const inventoryDist = path.join(
  root,
  'apps',
  'server',
  'dist',
  'services',
  'scanning',
  'inventory',
  'inventory.js',
);
const scanServiceDist = path.join(
  root,
  'apps',
  'server',
  'dist',
  'services',
  'scanning',
  'scan-service.js',
);
const benchDir = path.join(root, '.bench-data', 'scanning');
const resultsDir = path.join(root, 'bench', 'results');

// ---------------------------------------------------------------------------------------------
// Clean-up: servers and run directories go away however the process ends.

const runDirs = new Set();
function makeRunDir(label) {
  fs.mkdirSync(benchDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(benchDir, `${label}-${process.pid}-`));
  runDirs.add(dir);
  return dir;
}
function removeRunDir(dir) {
  if (KEEP_DATA) return;
  fs.rmSync(dir, { recursive: true, force: true });
  runDirs.delete(dir);
}
/** Run directories of a run that was killed outright (the pid in their name is gone). */
function sweepStaleRunDirs() {
  if (!fs.existsSync(benchDir)) return;
  for (const name of fs.readdirSync(benchDir)) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (err) {
      if (err.code === 'EPERM') continue;
    }
    console.log(`removing ${path.relative(root, path.join(benchDir, name))} of an interrupted run`);
    fs.rmSync(path.join(benchDir, name), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Images, built in memory (the push client sends whole blobs)

const sha256 = (buf) => `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;
const pad4 = (n) => String(n).padStart(4, '0');
const CREATED = '2026-01-01T00:00:00Z';

/**
 * A gzip layer of these files. Level 0 (stored blocks) as in bench/registry: random bytes do
 * not compress, so any level writes much the same stream, and level 0 keeps building it cheap.
 */
function gzipLayer(files) {
  const parts = [];
  for (const { name, content } of files) {
    parts.push(tarHeader(name, content.length, CREATED), content);
    parts.push(Buffer.alloc((512 - (content.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  const tar = Buffer.concat(parts);
  const gz = zlib.gzipSync(tar, { level: 0, chunkSize: 1024 * 1024 });
  return {
    mediaType: MEDIA.layerTarGzip,
    digest: sha256(gz),
    size: gz.length,
    body: gz,
    diffId: sha256(tar),
  };
}

const OS_RELEASE = Buffer.from(
  [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    '',
  ].join('\n'),
);

/**
 * Package i is `benchpkg-NNNN` 1.0-1+b1 (a binNMU) built from `benchsrc-NNNN` 1.0-1, the name
 * and version Debian's advisories use; advisoryRecord(i) is about that source package.
 */
function dpkgStatus(count) {
  const paragraphs = [];
  for (let i = 1; i <= count; i++) {
    paragraphs.push(
      [
        `Package: benchpkg-${pad4(i)}`,
        'Status: install ok installed',
        'Priority: optional',
        'Section: libs',
        'Installed-Size: 120',
        'Maintainer: Berth Bench <bench@example.org>',
        'Architecture: amd64',
        `Source: benchsrc-${pad4(i)} (1.0-1)`,
        'Version: 1.0-1+b1',
        `Description: synthetic package ${i}`,
        ' installed by bench/scanning/run.mjs.',
      ].join('\n'),
    );
  }
  return Buffer.from(`${paragraphs.join('\n\n')}\n`);
}

/** The OSV record about benchsrc-NNNN: three in four are fixed after 1.0-1, so affect it. */
function advisoryRecord(i) {
  const scores = [
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // 9.8 critical
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', // 7.5 high
    'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N', // 5.4 medium
    'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N', // 2.5 low
  ];
  return {
    schema_version: '1.6.0',
    id: `BENCH-DEB-${pad4(i)}`,
    modified: '2026-06-01T00:00:00Z',
    published: '2026-05-01T00:00:00Z',
    summary: `synthetic advisory ${i} for benchsrc-${pad4(i)}`,
    severity: [{ type: 'CVSS_V3', score: scores[i % 4] }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: `benchsrc-${pad4(i)}` },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '0' }, { fixed: i % 4 === 3 ? '0.9-1' : '1.0-2' }],
          },
        ],
      },
    ],
  };
}

function configJson(diffIds) {
  return Buffer.from(
    JSON.stringify({
      created: CREATED,
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'berth.bench': 'scanning' } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: CREATED, created_by: 'bench/scanning' })),
    }),
  );
}

function image(tag, layers) {
  const configBuf = configJson(layers.map((l) => l.diffId));
  const config = { digest: sha256(configBuf), size: configBuf.length, body: configBuf };
  const manifestBuf = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  return {
    tag,
    blobs: [...layers, config],
    layerBytes: layers.reduce((s, l) => s + l.size, 0),
    manifest: { digest: sha256(manifestBuf), body: manifestBuf, mediaType: MEDIA.ociManifest },
  };
}

/** The big image: fresh random content every call, so no blob is ever deduplicated. */
function bigImage(tag) {
  const layers = [];
  for (let i = 0; i < params.layers; i++) {
    const files = [];
    if (i === 0) {
      files.push({ name: 'etc/os-release', content: OS_RELEASE });
      files.push({ name: 'var/lib/dpkg/status', content: dpkgStatus(5) });
    }
    const random = crypto.randomFillSync(Buffer.allocUnsafe(params.layerMiB * MiB));
    files.push({ name: `opt/bench/layer-${i}.bin`, content: random });
    layers.push(gzipLayer(files));
  }
  return image(tag, layers);
}

/** The package image: os-release, the status file, and a nonce so each one is a new image. */
function packagesImage(tag) {
  const layer = gzipLayer([
    { name: 'etc/os-release', content: OS_RELEASE },
    { name: 'var/lib/dpkg/status', content: dpkgStatus(params.debPackages) },
    { name: 'opt/bench/nonce', content: crypto.randomBytes(32) },
  ]);
  return image(tag, [layer]);
}

// ---------------------------------------------------------------------------------------------
// Server side

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor(s.length / 2)];
};
const mib = (kib) => round(kib / 1024, 1);
const sync = () => run('sync', []);

async function startServer(label, env = {}, nodeArgs = []) {
  const dataDir = makeRunDir(label);
  const port = await freePort();
  const server = await startBerth({ dataDir, port, serverMain, env, nodeArgs });
  server.client = new RegistryClient(server.baseUrl, { maxSockets: 1, headers: server.headers });
  return server;
}

async function stopServer(server) {
  server.client.close();
  await stop(server.child);
  removeRunDir(server.dataDir);
}

/**
 * Pushes `img` to NAMESPACE/`repo` (blobs, then the manifest), timed; what the server's VmHWM
 * and CPU time were when the manifest PUT went out, and when it went out.
 */
async function push(server, repo, img) {
  const name = `${NAMESPACE}/${repo}`;
  const t0 = performance.now();
  for (const blob of img.blobs) await server.client.pushBlob(name, blob);
  const blobsDone = performance.now();
  const atPut = {
    hwmKiB: hwmKiB(server.pid),
    cpu: cpuSeconds(server.pid),
    threads: threadCpu(server.pid),
    t: performance.now(),
  };
  const res = await server.client.expect('PUT', `/v2/${name}/manifests/${img.tag}`, [201], {
    headers: { 'content-type': img.manifest.mediaType },
    body: img.manifest.body,
  });
  const done = performance.now();
  if (res.headers['docker-content-digest'] !== img.manifest.digest) {
    throw new Error(`PUT ${name}:${img.tag} answered ${res.headers['docker-content-digest']}`);
  }
  return {
    seconds: (done - t0) / 1000,
    blobSeconds: (blobsDone - t0) / 1000,
    manifestPutMs: done - atPut.t,
    atPut,
  };
}

/** Polls the scan API until the image has a result; seconds since `since` (performance.now()). */
async function waitForScan(server, repo, digest, since) {
  const target = `/api/v1/namespaces/${NAMESPACE}/repositories/${encodeURIComponent(repo)}/images/${digest}/scan`;
  const deadline = Date.now() + 30 * 60_000;
  for (let polls = 1; ; polls++) {
    const res = await server.client.expect('GET', target, [200]);
    const scan = JSON.parse(res.body.toString('utf8'));
    if (scan.result) {
      return { seconds: (performance.now() - since) / 1000, result: scan.result, polls };
    }
    if (!scan.queued) throw new Error(`${repo}@${digest}: no result and no scan queued`);
    if (Date.now() > deadline) throw new Error(`${repo}@${digest}: no scan result in 30 minutes`);
    await sleep(params.pollMs);
  }
}

/**
 * CPU seconds of the process's main thread (the event loop) and of its other threads (libuv's
 * pool, where zlib inflates; V8's GC helpers), from /proc/<pid>/task/<tid>/stat.
 */
function threadCpu(pid) {
  const split = { main: 0, others: 0 };
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return split;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(f[11]) + Number(f[12])) / 100;
      split[Number(tid) === pid ? 'main' : 'others'] += seconds;
    } catch {
      // the thread ended between listing and reading
    }
  }
  return split;
}

const findingsOf = (r) => r.critical + r.high + r.medium + r.low + r.unknown;

async function importAdvisories(server) {
  const dir = path.join(server.dataDir, 'osv');
  fs.mkdirSync(dir);
  for (let i = 1; i <= params.debPackages; i++) {
    fs.writeFileSync(
      path.join(dir, `BENCH-DEB-${pad4(i)}.json`),
      JSON.stringify(advisoryRecord(i)),
    );
  }
  const t = performance.now();
  const { out } = await run(process.execPath, [advisoriesCli, 'import', dir, '--output', 'json'], {
    env: { ...process.env, BERTH_DATA_DIR: server.dataDir, BERTH_LOG_LEVEL: 'warn' },
    label: 'advisories import',
  });
  const seconds = (performance.now() - t) / 1000;
  let report = null;
  try {
    report = JSON.parse(out);
  } catch {
    report = out.trim().slice(0, 300);
  }
  return { records: params.debPackages, seconds: round(seconds, 2), report };
}

/** Section 1: the big image's push and scan, on a server that holds the advisories. */
async function measureBigScan(server) {
  const img = bigImage('scan');
  const rssStartKiB = rssKiB(server.pid);
  const hwmStartKiB = hwmKiB(server.pid);
  await sync();
  const pushed = await push(server, 'big', img);
  const sampler = sampleRss(server.pid, 50);
  let scan;
  let sampled;
  try {
    scan = await waitForScan(server, 'big', img.manifest.digest, pushed.atPut.t);
  } finally {
    sampled = sampler.stop();
  }
  const alone = await walkAlone(server, img);
  return {
    layers: params.layers,
    bytes: img.layerBytes,
    walkAloneSeconds: round(alone.seconds, 2),
    walkAloneCpuSeconds: round(alone.cpuSeconds, 2),
    pushSeconds: round(pushed.seconds, 2),
    pushMiBPerSecond: round(img.layerBytes / MiB / pushed.seconds, 1),
    manifestPutMs: round(pushed.manifestPutMs, 1),
    scanSeconds: round(scan.seconds, 2),
    scanMiBPerSecond: round(img.layerBytes / MiB / scan.seconds, 1),
    polls: scan.polls,
    serverCpuSeconds: round(cpuSeconds(server.pid) - pushed.atPut.cpu, 2),
    serverMainThreadCpuSeconds: round(threadCpu(server.pid).main - pushed.atPut.threads.main, 2),
    rssAtStartMiB: mib(rssStartKiB),
    hwmAtStartMiB: mib(hwmStartKiB),
    hwmBeforeScanMiB: mib(pushed.atPut.hwmKiB),
    hwmAfterScanMiB: mib(hwmKiB(server.pid)),
    rssPeakDuringScanMiB: mib(sampled.peakKiB),
    result: scan.result,
  };
}

/**
 * The scanner's layer walk alone, in this process, over the blobs the server just stored
 * (through the same filesystem driver): a control, taken right after the server's scan, for
 * how much of the scan is the walk and how fast this machine is at that moment.
 */
async function walkAlone(server, img) {
  const { createFilesystemDriver } = await import(pathToFileURL(storeDist).href);
  const { defaultReaders, readInventory } = await import(pathToFileURL(inventoryDist).href);
  const driver = createFilesystemDriver(server.dataDir);
  const layers = img.blobs.slice(0, -1).map((l) => ({
    digest: l.digest,
    mediaType: l.mediaType,
    open: () => driver.get(l.digest),
  }));
  const cpu = process.cpuUsage();
  const t = performance.now();
  const inventory = await readInventory(layers, defaultReaders);
  const used = process.cpuUsage(cpu);
  if (inventory.packages.length === 0) throw new Error('the walk alone found no packages');
  return { seconds: (performance.now() - t) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Section 2: the package image, BENCH_SCAN_REPEAT times (a new image each time). */
async function measurePackageScans(server) {
  const runs = [];
  for (let i = 0; i < params.scanRepeat; i++) {
    const img = packagesImage(`packages-${i}`);
    const pushed = await push(server, 'packages', img);
    const scan = await waitForScan(server, 'packages', img.manifest.digest, pushed.atPut.t);
    runs.push({
      seconds: scan.seconds,
      cpu: cpuSeconds(server.pid) - pushed.atPut.cpu,
      result: scan.result,
    });
  }
  const last = runs.at(-1).result;
  return {
    packages: params.debPackages,
    advisories: params.debPackages,
    scanSeconds: round(median(runs.map((r) => r.seconds)), 2),
    runs: runs.map((r) => round(r.seconds, 2)).sort((a, b) => a - b),
    serverCpuSeconds: round(median(runs.map((r) => r.cpu)), 2),
    packagesFound: last.packages,
    findings: findingsOf(last),
    expectedFindings: params.debPackages - Math.floor(params.debPackages / 4),
    result: last,
  };
}

/** Section 4: alternating pushes with scan-on-push on and off, each on a server of its own. */
async function measurePushes() {
  const runs = { on: [], off: [] };
  for (let i = 0; i < params.pushRuns * 2; i++) {
    // on, off, off, on, on, off, …: neither mode always goes first after the other.
    const mode = (i % 2 === 0) === (Math.floor(i / 2) % 2 === 0) ? 'on' : 'off';
    const img = bigImage(`push-${i}`);
    const server = await startServer(`push${mode}`, {
      BERTH_SCAN_ON_PUSH: mode === 'on' ? '1' : '0',
    });
    try {
      await sync();
      const cpu = cpuSeconds(server.pid);
      const pushed = await push(server, `push-${i}`, img);
      const entry = {
        seconds: pushed.seconds,
        blobSeconds: pushed.blobSeconds,
        manifestPutMs: pushed.manifestPutMs,
        serverCpuSeconds: cpuSeconds(server.pid) - cpu,
        scanSeconds: null,
      };
      if (mode === 'on') {
        const scan = await waitForScan(server, `push-${i}`, img.manifest.digest, pushed.atPut.t);
        entry.scanSeconds = scan.seconds;
      }
      runs[mode].push(entry);
      console.log(
        `  push ${i + 1}/${params.pushRuns * 2} scan-on-push ${mode}: ${entry.seconds.toFixed(2)} s` +
          (entry.scanSeconds === null
            ? ''
            : `, scanned ${entry.scanSeconds.toFixed(2)} s after the PUT`),
      );
    } finally {
      await stopServer(server);
    }
  }
  const bytes = params.layers * params.layerMiB * MiB;
  const summary = (list) => {
    const seconds = median(list.map((r) => r.seconds));
    return {
      seconds: round(seconds, 2),
      mibPerSecond: round(bytes / MiB / seconds, 1),
      runs: list.map((r) => round(r.seconds, 2)),
      blobSeconds: list.map((r) => round(r.blobSeconds, 2)),
      manifestPutMs: round(median(list.map((r) => r.manifestPutMs)), 1),
      serverCpuSeconds: round(median(list.map((r) => r.serverCpuSeconds)), 2),
      scanSeconds:
        list[0]?.scanSeconds === null ? null : round(median(list.map((r) => r.scanSeconds)), 2),
    };
  };
  const on = summary(runs.on);
  const off = summary(runs.off);
  const offSpread =
    (Math.max(...runs.off.map((r) => r.seconds)) - Math.min(...runs.off.map((r) => r.seconds))) /
    off.seconds;
  const difference = (on.seconds - off.seconds) / off.seconds;
  return {
    on,
    off,
    differencePercent: round(difference * 100, 1),
    offSpreadPercent: round(offSpread * 100, 1),
    withinNoise: Math.abs(difference) <= Math.max(PUSH_NOISE, offSpread),
  };
}

// ---------------------------------------------------------------------------------------------
// Section 3: the re-match, in a child process (node bench/scanning/run.mjs --rematch)

/** mulberry32: small, fast, deterministic. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quietLogger = {
  level: 'warn',
  trace() {},
  debug() {},
  info() {},
  warn(...args) {
    console.warn(...args);
  },
  error(...args) {
    console.error(...args);
  },
  fatal(...args) {
    console.error(...args);
  },
  child() {
    return quietLogger;
  },
};

async function rematchChild() {
  const { bulkLoadSynthetic, createStore, openSqlite } = await import(
    pathToFileURL(storeDist).href
  );
  const { createScanService } = await import(pathToFileURL(scanServiceDist).href);
  const dir = makeRunDir('rematch');
  const handle = await openSqlite(path.join(dir, 'berth.db'));
  const report = {};
  try {
    const store = createStore(handle.db);
    const random = rng(17);
    const now0 = Date.now();
    const images = params.rematchImages;
    let t = performance.now();
    bulkLoadSynthetic(handle.raw, {
      namespaces: 1,
      repositoriesPerNamespace: Math.max(1, Math.ceil(images / 10)),
      images,
      bigRepositoryImages: 0,
      region: 'local',
      now: now0,
      seed: 1,
    });
    report.seedImagesSeconds = round((performance.now() - t) / 1000, 2);
    const manifests = await handle.db
      .selectFrom('manifests as m')
      .innerJoin('repositories as r', 'r.id', 'm.repository_id')
      .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
      .select(['m.id', 'm.digest', 'r.name as repository', 'n.name as namespace'])
      .where('m.state', '=', 'live')
      .orderBy('m.id')
      .execute();

    // Each image: BENCH_IMAGE_PACKAGES distinct packages of the pool, each at 2.<0..19>-1.
    const distro = { id: 'debian', versionId: '12', codename: 'bookworm' };
    const pool = params.packagePool;
    const perImage = Math.min(params.imagePackages, pool);
    const generatedAt = now0 - 2 * 3_600_000;
    t = performance.now();
    for (const m of manifests) {
      const layer = sha256(`layer-${m.id}`);
      const chosen = new Set();
      while (chosen.size < perImage) chosen.add(Math.floor(random() * pool));
      const packages = [...chosen]
        .sort((a, b) => a - b)
        .map((p) => {
          const name = `pkg-${String(p).padStart(5, '0')}`;
          const version = `2.${Math.floor(random() * 20)}-1`;
          return {
            type: 'deb',
            name,
            version,
            source: { name, version },
            purl: `pkg:deb/debian/${name}@${version}?arch=amd64&distro=debian-12`,
            layer,
            path: 'var/lib/dpkg/status',
          };
        });
      await store.scans.addResult(
        {
          manifestId: Number(m.id),
          namespace: m.namespace,
          repository: m.repository,
          digest: m.digest,
        },
        {
          status: 'complete',
          error: null,
          distro: 'debian 12',
          inventory: { distro, packages },
          findings: [],
          critical: 0,
          high: 0,
          medium: 0,
          low: 0,
          unknown: 0,
          fixable: 0,
        },
        generatedAt,
        KEEP_MS,
      );
    }
    report.seedResultsSeconds = round((performance.now() - t) / 1000, 2);

    // Advisories spread evenly over the pool; three in ten are fixed at 2.<0..19>-1 (so affect
    // the versions below), the rest at 1.0-1, below every installed version.
    const severities = [
      ['critical', 9.8],
      ['high', 7.5],
      ['medium', 5.4],
      ['low', 2.5],
    ];
    t = performance.now();
    let added = 0;
    const importedAt = now0 - 3_600_000;
    for (let start = 0; start < params.advisories; start += 500) {
      const batch = [];
      for (let a = start; a < Math.min(start + 500, params.advisories); a++) {
        const name = `pkg-${String(a % pool).padStart(5, '0')}`;
        const fixed = random() < 0.3 ? `2.${Math.floor(random() * 20)}-1` : '1.0-1';
        const [severity, score] = severities[a % 4];
        batch.push({
          id: `BENCH-${String(a).padStart(6, '0')}`,
          modified: importedAt,
          published: importedAt,
          withdrawn: null,
          summary: `synthetic advisory ${a} for ${name}`,
          details: '',
          aliases: [],
          severity,
          score,
          affected: [
            {
              package: { ecosystem: 'Debian:12', name },
              ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
            },
          ],
          packages: [{ ecosystem: 'Debian:12', name }],
        });
      }
      added += (await store.advisories.importBatch(batch, importedAt)).added;
    }
    report.seedAdvisoriesSeconds = round((performance.now() - t) / 1000, 2);
    await store.advisories.recordImport(
      { source: 'bench/scanning', added, updated: 0, unchanged: 0, skipped: 0 },
      'cli:advisories',
      Date.now(),
    );

    const scanner = createScanService({
      store,
      blobs: null,
      clock: Date.now,
      logger: quietLogger,
      scanning: { onPush: true, concurrency: 2, keepMs: KEEP_MS, pollMs: 5_000 },
    });
    const dbFile = path.join(dir, 'berth.db');
    const dbBytes = () =>
      fs.statSync(dbFile).size +
      (fs.statSync(`${dbFile}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const dbBefore = dbBytes();
    const hwmBefore = hwmKiB(process.pid);
    const cpu = process.cpuUsage();
    // The sweep runs in the server's process: how long it keeps that event loop from anything
    // else (requests) at a stretch.
    const ticks = { last: performance.now(), gaps: [] };
    const ticker = setInterval(() => {
      const now = performance.now();
      ticks.gaps.push(now - ticks.last);
      ticks.last = now;
    }, 10);
    t = performance.now();
    const swept = await scanner.sweep();
    clearInterval(ticker);
    ticks.gaps.push(performance.now() - ticks.last);
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const counts = await handle.db
      .selectFrom('scan_results')
      .select((eb) => [
        eb.fn.countAll().as('results'),
        eb.fn.sum('critical').as('critical'),
        eb.fn.sum('high').as('high'),
        eb.fn.sum('medium').as('medium'),
        eb.fn.sum('low').as('low'),
      ])
      .where('generated_at', '>', generatedAt)
      .executeTakeFirstOrThrow();
    const findings = ['critical', 'high', 'medium', 'low'].reduce(
      (s, k) => s + Number(counts[k]),
      0,
    );
    Object.assign(report, {
      images,
      advisories: added,
      packagesPerImage: perImage,
      packagePool: pool,
      rematched: swept.rematched,
      newResults: Number(counts.results),
      findings,
      findingsPerImage: round(findings / Math.max(1, swept.rematched), 1),
      seconds: round(seconds, 2),
      resultsPerSecond: round(swept.rematched / seconds, 0),
      msPerResult: round((seconds * 1000) / Math.max(1, swept.rematched), 2),
      cpuSeconds: round((used.user + used.system) / 1e6, 2),
      eventLoopTicks: ticks.gaps.length,
      eventLoopLongestGapMs: round(Math.max(...ticks.gaps), 1),
      hwmBeforeSweepMiB: mib(hwmBefore),
      peakRssMiB: mib(hwmKiB(process.pid)),
      dbBeforeSweepMiB: round(dbBefore / MiB, 1),
      dbMiB: round(dbBytes() / MiB, 1),
    });
  } finally {
    await handle.close();
    removeRunDir(dir);
  }
  console.log(`REMATCHJSON ${JSON.stringify(report)}`);
}

async function measureRematch() {
  const profDir = CPU_PROF ? makeRunDir('profile') : null;
  const nodeArgs = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const { out } = await run(
    process.execPath,
    [...nodeArgs, fileURLToPath(import.meta.url), '--rematch'],
    {
      echo: false,
      label: 're-match child',
    },
  );
  const line = out.split('\n').find((l) => l.startsWith('REMATCHJSON '));
  if (!line) throw new Error(`the re-match child printed no result:\n${out.slice(-2000)}`);
  const report = JSON.parse(line.slice('REMATCHJSON '.length));
  if (profDir) printProfile(profDir, 'the re-match child (whole process, seeding included)');
  return report;
}

/** Prints where a profile's time went, and keeps it in .bench-data/scanning/. */
function printProfile(dir, what) {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    const kept = path.join(benchDir, `${Date.now()}-${file}`);
    fs.copyFileSync(path.join(dir, file), kept);
    console.log(`\nCPU profile of ${what}: ${path.relative(root, kept)}`);
    console.log(formatSummary(summarizeProfile(readProfile(kept)), { top: 25 }));
  }
  removeRunDir(dir);
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (v, digits = 2) =>
  v === null || v === undefined
    ? '—'
    : Number(v).toLocaleString('en', { maximumFractionDigits: digits });

function markdown(report) {
  const { big, packages, rematch, pushes, errors } = report;
  const rows = [];
  const row = (measure, result, target = '—', met = '—') =>
    rows.push({ measure, result, target, met });
  const imageLabel = `${params.layers} × ${params.layerMiB} MiB image`;
  if (big) {
    row(
      `${imageLabel}: push, s (MiB/s)`,
      `${fmt(big.pushSeconds)} (${fmt(big.pushMiBPerSecond, 1)})`,
    );
    row(
      '… manifest PUT → scan result, s (layer MiB/s)',
      `${fmt(big.scanSeconds)} (${fmt(big.scanMiBPerSecond, 1)}); ${big.result.packages} packages, ${findingsOf(big.result)} findings`,
    );
    row(
      '… the layer walk alone, in the benchmark process right after, s',
      `${fmt(big.walkAloneSeconds)} (CPU ${fmt(big.walkAloneCpuSeconds)} s)`,
    );
    row(
      '… server CPU during the scan, s',
      `${fmt(big.serverCpuSeconds)} (event loop ${fmt(big.serverMainThreadCpuSeconds)}, other threads ${fmt(big.serverCpuSeconds - big.serverMainThreadCpuSeconds)})`,
    );
    row(
      '… server VmHWM before → after the scan, MiB',
      `${fmt(big.hwmBeforeScanMiB, 1)} → ${fmt(big.hwmAfterScanMiB, 1)} (RSS at start ${fmt(big.rssAtStartMiB, 1)}; peak RSS while scanning ${fmt(big.rssPeakDuringScanMiB, 1)})`,
    );
  }
  if (packages) {
    row(
      `${fmt(packages.packages, 0)}-package Debian 12 image: manifest PUT → scan result, median of ${packages.runs.length}, s`,
      `${fmt(packages.scanSeconds)} (runs ${packages.runs.join(', ')}; server CPU ${fmt(packages.serverCpuSeconds)} s)`,
    );
    row(
      `… findings (${fmt(packages.advisories, 0)} advisories imported)`,
      `${fmt(packages.findings, 0)} of ${fmt(packages.packagesFound, 0)} packages`,
      `${fmt(packages.expectedFindings, 0)}`,
      packages.findings === packages.expectedFindings ? 'yes' : '**no**',
    );
  }
  if (report.advisoryImport) {
    const a = report.advisoryImport;
    row(`\`advisories import\` of ${fmt(a.records, 0)} OSV files, s`, fmt(a.seconds));
  }
  if (rematch) {
    row(
      `Re-match: ${fmt(rematch.images, 0)} stored inventories × ${fmt(rematch.advisories, 0)} advisories (sweep), s`,
      `${fmt(rematch.seconds)} (${fmt(rematch.resultsPerSecond, 0)} results/s, ${fmt(rematch.msPerResult)} ms each; CPU ${fmt(rematch.cpuSeconds)} s)`,
    );
    row(
      '… longest the event loop was held during the sweep (a 10 ms timer), ms',
      `${fmt(rematch.eventLoopLongestGapMs, 1)} (${fmt(rematch.eventLoopTicks, 0)} ticks)`,
    );
    row(
      '… what it wrote',
      `${fmt(rematch.rematched, 0)} results, ${fmt(rematch.findings, 0)} findings (${fmt(rematch.findingsPerImage, 1)} per image of ${rematch.packagesPerImage} packages)`,
    );
    row(
      '… peak RSS of the process, MiB',
      `${fmt(rematch.peakRssMiB, 1)} (${fmt(rematch.hwmBeforeSweepMiB, 1)} before the sweep)`,
    );
    row(
      '… seeding (not timed above), s',
      `images ${fmt(rematch.seedImagesSeconds)}, results ${fmt(rematch.seedResultsSeconds)}, advisories ${fmt(rematch.seedAdvisoriesSeconds)}`,
    );
    row(
      '… database (with WAL) before → after the sweep, MiB',
      `${fmt(rematch.dbBeforeSweepMiB, 1)} → ${fmt(rematch.dbMiB, 1)} (old results stay until they expire)`,
    );
  }
  if (pushes) {
    const line = (p) =>
      `${fmt(p.seconds)} (${fmt(p.mibPerSecond, 1)} MiB/s; runs ${p.runs.join(', ')}; manifest PUT ${fmt(p.manifestPutMs, 1)} ms)`;
    row(
      `${imageLabel} push, scan-on-push on: median of ${pushes.on.runs.length}, s`,
      line(pushes.on),
    );
    row(`… scan-on-push off: median of ${pushes.off.runs.length}, s`, line(pushes.off));
    row(
      '… on vs off',
      `${pushes.differencePercent > 0 ? '+' : ''}${fmt(pushes.differencePercent, 1)} % (off runs spread ${fmt(pushes.offSpreadPercent, 1)} %)`,
      `within noise (±${PUSH_NOISE * 100} % or the off spread)`,
      pushes.withinNoise ? 'yes' : '**missed**',
    );
    if (pushes.on.scanSeconds !== null) {
      row('… scan after those pushes: median, s', fmt(pushes.on.scanSeconds));
    }
  }
  const lines = [
    `# Vulnerability scanning (${report.startedAt})`,
    '',
    `Machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), ${report.machine.memGiB} GiB RAM, Linux ${report.machine.kernel}, Node ${report.machine.node}; 1-min load average ${report.machine.loadAverage} at the start.`,
    '',
    `Images are pushed over keep-alive HTTP (monolithic blob uploads, then the manifest) with the admin's API key; layers are gzip (stored blocks) of a tar of random bytes. Scan times run from the manifest PUT to the first GET \`…/scan\` that answers a result, polled every ${params.pollMs} ms (so ±${params.pollMs} ms). The re-match runs in a process of its own on a SQLite store: the bulk loader's images, a stored result of ${params.imagePackages} deb packages (from a pool of ${fmt(params.packagePool, 0)}) for each, advisories spread evenly over the pool, then the scan service's \`sweep()\`.`,
    '',
    '| Measure | Result | Target | Met? |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.measure} | ${r.result} | ${r.target} | ${r.met} |`),
    '',
  ];
  for (const [key, message] of Object.entries(errors)) {
    lines.push(`**${key} failed:** ${message.split('\n')[0]}`, '');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function section(report, key, label, fn) {
  console.log(`\n== ${label}`);
  const t = performance.now();
  try {
    report[key] = await fn();
    console.log(`   done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } catch (err) {
    report[key] = null;
    report.errors[key] = err.message;
    console.log(`   FAILED: ${err.message}`);
  }
}

/** Sections 1 and 2, on one server holding the advisories. */
async function scansPart(report) {
  let server = null;
  const profileDir = SERVER_CPU_PROF ? makeRunDir('serverprofile') : null;
  try {
    await section(report, 'server', 'server with the advisories', async () => {
      const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
      server = await startServer('scan', {}, nodeArgs);
      return { pid: server.pid };
    });
    if (!server) return;
    await section(
      report,
      'advisoryImport',
      `advisories import of ${params.debPackages} records`,
      () => importAdvisories(server),
    );
    await section(
      report,
      'big',
      `${params.layers} × ${params.layerMiB} MiB image: push and scan`,
      () => measureBigScan(server),
    );
    await section(report, 'packages', `${params.debPackages}-package image: scans`, () =>
      measurePackageScans(server),
    );
  } finally {
    if (server) await stopServer(server);
  }
  if (profileDir) printProfile(profileDir, 'the server of sections 1 and 2 (push, scans, polling)');
}

async function main() {
  for (const file of [serverMain, advisoriesCli, storeDist, scanServiceDist, inventoryDist]) {
    if (!fs.existsSync(file))
      throw new Error(`missing ${path.relative(root, file)} (run ./berth build)`);
  }
  sweepStaleRunDirs();
  const cpus = os.cpus();
  const report = {
    startedAt: new Date().toISOString(),
    params,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      memGiB: round(os.totalmem() / 1024 ** 3, 1),
      kernel: os.release(),
      node: process.version,
      loadAverage: round(os.loadavg()[0], 2),
    },
    errors: {},
  };
  console.log(`scanning benchmark: ${JSON.stringify(params)}`);

  if (parts.includes('scans')) await scansPart(report);
  if (parts.includes('pushes')) {
    await section(report, 'pushes', 'push with scan-on-push on and off', measurePushes);
  }
  if (parts.includes('rematch')) {
    await section(
      report,
      'rematch',
      `re-match of ${params.rematchImages} inventories against ${params.advisories} advisories`,
      measureRematch,
    );
  }
  if (parts.length < PARTS.length) {
    console.log(`\n${markdown(report)}`);
    console.log(`BENCH_SCAN_PARTS=${parts.join(',')}: bench/results/scanning.* left as they were`);
    return;
  }
  await writeResultFiles(resultsDir, 'scanning', report, markdown(report));
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (!KEEP_DATA) for (const dir of runDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
}

const entry = process.argv[2] === '--rematch' ? rematchChild : main;
entry().catch((err) => {
  console.error(err.stack ?? err);
  process.exitCode = 1;
});
