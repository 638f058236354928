// Registry benchmark: Berth's /v2 against CNCF Distribution (Debian's docker-registry), both on
// loopback, same inputs, one run.
//
//   ./berth bench registry   (builds, then runs this script)
//   BENCH_TARGETS=distribution node bench/registry/run.mjs          (one registry only)
//   BENCH_BIG_LAYER_MIB=10 BENCH_RSS_LAYER_MIB=64 BENCH_SMALL_IMAGES=50 BENCH_HEAD_SECONDS=3 \
//     node bench/registry/run.mjs                                   (a quick run)
//
// Berth is called as a client would: skopeo with --src-creds/--dest-creds admin:<API key> (it
// trades them for a token at /auth/token), the HTTP clients with `Authorization: Bearer <API
// key>` on every request (bench/lib/credentials.mjs creates the key). Distribution runs
// without authentication, as servers.mjs configures it.
//
// Measures, per registry (each on a fresh data directory; both run side by side and each measure
// is taken on one right after the other, the big push and pull repetition by repetition, see
// benchAll and inTurns; each server's CPU seconds per measure too):
//   1. skopeo push of a BENCH_BIG_LAYERS x BENCH_BIG_LAYER_MIB image from an OCI layout (s, MiB/s)
//   2. skopeo pull of it to a fresh dir: directory (s, MiB/s)
//   3. BENCH_SMALL_IMAGES small tagged images pushed by an in-process keep-alive HTTP client
//      (HEAD blob, POST upload, PUT ?digest=, PUT manifest) (s, images/s)
//   4. HEAD /v2/<name>/manifests/<tag> over BENCH_HEAD_CONNECTIONS keep-alive connections for
//      BENCH_HEAD_SECONDS (req/s), by head-load.mjs since wrk 4.1.0 cannot do HEAD; then the same
//      URL with GET by wrk, for comparison (BENCH_WRK_GET=0 skips it)
//   5. peak VmRSS of the server process (and any children) sampled every BENCH_RSS_INTERVAL_MS
//      while skopeo pushes a single BENCH_RSS_LAYER_MIB layer (MiB); measured first, on the
//      freshly started server, so the figure is the push's and not what earlier loads left
// Inputs live in .bench-data/registry/layouts (generated once, reused); each run's registry
// data directories are deleted at the end. Writes bench/results/registry.{json,md}.
// Exits non-zero only when it cannot run (a registry fails to start or a measure fails); a
// missed target is reported, never a failure (benchmarks report; tests assert).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MANIFEST_ACCEPT, RegistryClient } from './client.mjs';
import { headLoad } from './head-load.mjs';
import { REF_NAME, ensureLayout, smallImages, warmLayout } from './layout.mjs';
import { skopeoSetup } from '../lib/skopeo.mjs';
import { NAMESPACE, startBerth, startDistribution } from './servers.mjs';
import {
  MiB,
  children,
  cpuSeconds,
  envInt,
  envPositive,
  freePort,
  hwmKiB,
  round,
  run,
  sampleRss,
  stop,
  treeRssKiB,
} from '../lib/process.mjs';
import { writeResultFiles } from '../lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const int = envInt;
const positive = envPositive;

const params = {
  bigLayers: positive('BENCH_BIG_LAYERS', 5),
  bigLayerMiB: positive('BENCH_BIG_LAYER_MIB', 100),
  smallImages: positive('BENCH_SMALL_IMAGES', 200),
  smallLayerBytes: positive('BENCH_SMALL_LAYER_BYTES', 4096),
  smallConcurrency: positive('BENCH_SMALL_CONCURRENCY', 1),
  headSeconds: positive('BENCH_HEAD_SECONDS', 10),
  headWarmupSeconds: int('BENCH_HEAD_WARMUP_SECONDS', 2),
  headConnections: positive('BENCH_HEAD_CONNECTIONS', 32),
  headThreads: positive('BENCH_HEAD_THREADS', 2),
  rssLayerMiB: positive('BENCH_RSS_LAYER_MIB', 1024),
  rssIntervalMs: positive('BENCH_RSS_INTERVAL_MS', 100),
  repeat: positive('BENCH_REPEAT', 5),
  loadRounds: positive('BENCH_LOAD_ROUNDS', 2),
};
const KNOWN_TARGETS = ['berth', 'distribution'];
const targets = (env.BENCH_TARGETS || 'berth,distribution')
  .split(',')
  .map((t) => t.trim().toLowerCase())
  .filter(Boolean);
for (const t of targets) {
  if (!KNOWN_TARGETS.includes(t)) {
    throw new Error(`BENCH_TARGETS: unknown registry "${t}" (use ${KNOWN_TARGETS.join(', ')})`);
  }
}
const KEEP_DATA = int('BENCH_KEEP_DATA', 0) === 1;
const REPEAT = params.repeat;
const WRK_GET = int('BENCH_WRK_GET', 1) === 1;
const DISTRIBUTION_BIN = env.BENCH_DISTRIBUTION_BIN || '/usr/bin/docker-registry';
/** Berth/Distribution throughput ratios to reach (issue 14), and Berth's memory ceiling. */
const TARGETS = { pushRatio: 1.3, pullRatio: 1.0, smallRatio: 1.3, headRatio: 3, berthRssMiB: 200 };

const benchDir = path.join(root, '.bench-data', 'registry');
const resultsDir = path.join(root, 'bench', 'results');
const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
const scratch = path.join(benchDir, `scratch-${stamp}`);

const BIG_REPO = `${NAMESPACE}/big`;
const SMALL_REPO = `${NAMESPACE}/small`;
const RSS_REPO = `${NAMESPACE}/rss`;

// ---------------------------------------------------------------------------------------------
// Clean-up: servers and run directories go away however the process ends.

const runDirs = new Set();
function removeRunDirs() {
  if (KEEP_DATA) return;
  for (const dir of runDirs) fs.rmSync(dir, { recursive: true, force: true });
  runDirs.clear();
}
function makeRunDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.owner-pid'), String(process.pid));
  runDirs.add(dir);
  return dir;
}
/** Run directories left by a run that was killed outright (its owner pid is gone). */
function sweepStaleRunDirs() {
  if (!fs.existsSync(benchDir)) return;
  for (const name of fs.readdirSync(benchDir)) {
    if (!/^(berth|distribution|scratch)-/.test(name)) continue;
    const dir = path.join(benchDir, name);
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(dir, '.owner-pid'), 'utf8'));
    } catch {
      continue;
    }
    let alive = false;
    try {
      process.kill(owner, 0);
      alive = true;
    } catch (err) {
      alive = err.code === 'EPERM';
    }
    if (!alive) {
      console.log(`removing ${path.relative(root, dir)} left by an interrupted run`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  removeRunDirs();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and removing this run's data directories`);
    process.exit(128 + os.constants.signals[signal]);
  });
}

// ---------------------------------------------------------------------------------------------
// Tools

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return null;
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim() || null;
}

function checkTools() {
  const tools = {
    skopeo: toolVersion('skopeo', ['--version']),
    wrk: toolVersion('wrk', ['-v']),
    distribution: targets.includes('distribution')
      ? toolVersion(DISTRIBUTION_BIN, ['--version'])
      : null,
    node: process.version,
  };
  const missing = [];
  if (!tools.skopeo) missing.push('skopeo (apt-get install -y skopeo)');
  if (!tools.wrk) missing.push('wrk (apt-get install -y wrk)');
  if (targets.includes('distribution') && !tools.distribution) {
    missing.push(`${DISTRIBUTION_BIN} (apt-get install -y docker-registry)`);
  }
  if (targets.includes('berth') && !fs.existsSync(serverMain)) {
    missing.push(`${path.relative(root, serverMain)} (run ./berth build)`);
  }
  if (missing.length) throw new Error(`missing: ${missing.join(', ')}`);
  return tools;
}

/** Flushes dirty pages (layout generation, the previous registry) so they are not timed. */
const sync = () => run('sync', []);

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t) / 1000, value };
}

// ---------------------------------------------------------------------------------------------
// Measures

/** Median of REPEAT runs: single skopeo runs on a shared 2-core machine vary by ±20 %. */
function median(runs) {
  const sorted = [...runs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One timed skopeo push of the big layout; repetition `i` pushes into a repository of its own. */
async function pushOnce(ctx, server, i) {
  // Each repetition pushes into a repository of its own, so no layer is already there, and
  // skopeo's blob-info cache is dropped first: it remembers where layers went and would mount
  // them from the earlier repository instead of uploading them. (As root skopeo keeps it in
  // /var/lib/containers/cache whatever HOME is; otherwise ctx.skopeo's private HOME holds it.)
  const repo = i === 0 ? BIG_REPO : `${BIG_REPO}-${i}`;
  if (process.getuid?.() === 0) {
    fs.rmSync('/var/lib/containers/cache/blob-info-cache-v1.boltdb', { force: true });
  }
  await sync();
  const t = await timed(() =>
    ctx.skopeo(`oci:${ctx.big.dir}:${REF_NAME}`, `docker://${server.host}/${repo}:latest`, {
      dest: server.creds,
    }),
  );
  return t.seconds;
}

async function bigPushResult(ctx, runs) {
  const seconds = median(runs);
  const head = await ctx.client.headManifest(BIG_REPO, 'latest');
  const digest = head.headers['docker-content-digest'] ?? null;
  const notes = [];
  if (head.status !== 200) notes.push(`HEAD manifest after the push -> ${head.status}`);
  else if (digest !== ctx.big.manifest.digest) {
    notes.push(`registry digest ${digest} differs from the layout's ${ctx.big.manifest.digest}`);
  }
  return {
    seconds: round(seconds, 3),
    mibPerSecond: round(ctx.big.layerBytes / MiB / seconds, 1),
    runs: [...runs].sort((a, b) => a - b).map((r) => round(r, 3)),
    bytes: ctx.big.layerBytes,
    manifestDigest: digest,
    notes,
  };
}

/** One timed skopeo pull of the big image to a fresh `dir:`; checks nothing is missing or short. */
async function pullOnce(ctx, server) {
  const dest = path.join(scratch, `pull-${server.name}`);
  fs.rmSync(dest, { recursive: true, force: true });
  await sync();
  const t = await timed(() =>
    ctx.skopeo(`docker://${server.host}/${BIG_REPO}:latest`, `dir:${dest}`, {
      src: server.creds,
    }),
  );
  // skopeo verifies every digest as it reads; check nothing is missing or short.
  for (const layer of ctx.big.layers) {
    const file = path.join(dest, layer.digest.slice(7));
    const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
    if (size !== layer.size) {
      throw new Error(`pulled ${layer.digest}: ${size} bytes, expected ${layer.size}`);
    }
  }
  fs.rmSync(dest, { recursive: true, force: true });
  return t.seconds;
}

function bigPullResult(ctx, runs) {
  const seconds = median(runs);
  return {
    seconds: round(seconds, 3),
    mibPerSecond: round(ctx.big.layerBytes / MiB / seconds, 1),
    runs: [...runs].sort((a, b) => a - b).map((r) => round(r, 3)),
    bytes: ctx.big.layerBytes,
  };
}

async function measureSmallPush(ctx, server) {
  const client = new RegistryClient(server.baseUrl, {
    maxSockets: params.smallConcurrency,
    headers: server.headers,
  });
  try {
    let next = 0;
    const worker = async () => {
      while (next < ctx.small.length) {
        const image = ctx.small[next++];
        await client.pushImage(SMALL_REPO, image);
      }
    };
    const { seconds } = await timed(() =>
      Promise.all(Array.from({ length: params.smallConcurrency }, worker)),
    );
    for (const image of [ctx.small[0], ctx.small.at(-1)]) {
      const head = await client.headManifest(SMALL_REPO, image.tag);
      if (head.status !== 200) {
        throw new Error(`HEAD ${SMALL_REPO}:${image.tag} after the push -> ${head.status}`);
      }
    }
    return {
      seconds: round(seconds, 3),
      imagesPerSecond: round(ctx.small.length / seconds, 1),
      images: ctx.small.length,
      requests: ctx.small.length * 7,
      concurrency: params.smallConcurrency,
    };
  } finally {
    client.close();
  }
}

/** wrk's Lua script for GET with the manifest Accept header; prints its summary as JSON. */
function wrkScript() {
  const file = path.join(scratch, 'get-manifest.lua');
  fs.writeFileSync(
    file,
    [
      'wrk.method = "GET"',
      `wrk.headers["Accept"] = "${MANIFEST_ACCEPT}"`,
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(',
      '    "BENCHJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"connect\\":%d,\\"read\\":%d,' +
        '\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d}\\n",',
      '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
      '    latency:percentile(50), latency:percentile(99)))',
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

async function wrk(url, seconds, script, headers) {
  const { out } = await run(
    'wrk',
    [
      `-t${params.headThreads}`,
      `-c${params.headConnections}`,
      `-d${seconds}s`,
      ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      '-s',
      script,
      url,
    ],
    { label: `wrk ${url}` },
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  return JSON.parse(line.slice('BENCHJSON '.length));
}

/** The manifest the HEAD and GET loads ask for, checked with one HEAD first. */
async function manifestTarget(ctx, smallOk) {
  // A tag among the many small ones when they were pushed, else the big image's tag.
  const [repo, tag] = smallOk
    ? [SMALL_REPO, ctx.small[Math.floor(ctx.small.length / 2)].tag]
    : [BIG_REPO, 'latest'];
  const head = await ctx.client.headManifest(repo, tag);
  if (head.status !== 200) {
    throw new Error(
      `HEAD /v2/${repo}/manifests/${tag} -> ${head.status}: ${head.body.toString('utf8').slice(0, 300)}`,
    );
  }
  return {
    path: `/v2/${repo}/manifests/${tag}`,
    response: {
      status: head.status,
      contentType: head.headers['content-type'] ?? null,
      contentLength: head.headers['content-length'] ?? null,
      digest: head.headers['docker-content-digest'] ?? null,
    },
  };
}

async function measureHead(ctx, server, target) {
  const load = (seconds) =>
    headLoad({
      host: '127.0.0.1',
      port: server.port,
      path: target.path,
      // Berth checks the API key on every one of these requests.
      headers: { ...server.headers, Accept: MANIFEST_ACCEPT, 'User-Agent': 'berth-bench' },
      connections: params.headConnections,
      threads: params.headThreads,
      seconds,
    });
  if (params.headWarmupSeconds > 0) await load(params.headWarmupSeconds);
  const r = await load(params.headSeconds);
  return {
    tool: 'bench/registry/head-load.mjs',
    requestsPerSecond: round(r.requestsPerSecond, 0),
    requests: r.requests,
    non2xx: r.non2xx,
    statuses: r.statuses,
    socketErrors: r.socketErrors,
    errors: r.non2xx + r.socketErrors,
    p50Ms: round(r.p50Ms, 3),
    p99Ms: round(r.p99Ms, 3),
    seconds: round(r.elapsedSeconds, 2),
    connections: params.headConnections,
    threads: params.headThreads,
    url: target.path,
    response: target.response,
  };
}

async function measureWrkGet(ctx, server, target) {
  const url = `${server.baseUrl}${target.path}`;
  const load = (seconds) => wrk(url, seconds, ctx.wrkScript, server.headers);
  if (params.headWarmupSeconds > 0) await load(params.headWarmupSeconds);
  const s = await load(params.headSeconds);
  const socketErrors = s.connect + s.read + s.write + s.timeout;
  return {
    tool: 'wrk',
    requestsPerSecond: round((s.requests - s.status) / (s.duration_us / 1e6), 0),
    requests: s.requests,
    non2xx: s.status,
    socketErrors,
    errors: s.status + socketErrors,
    p50Ms: round(s.p50_us / 1000, 3),
    p99Ms: round(s.p99_us / 1000, 3),
    seconds: round(s.duration_us / 1e6, 2),
    connections: params.headConnections,
    threads: params.headThreads,
    url: target.path,
  };
}

async function measureRss(ctx, server) {
  await sync();
  const before = treeRssKiB(server.pid);
  const sampler = sampleRss(server.pid, params.rssIntervalMs);
  let seconds;
  let sampled;
  try {
    ({ seconds } = await timed(() =>
      ctx.skopeo(`oci:${ctx.rss.dir}:${REF_NAME}`, `docker://${server.host}/${RSS_REPO}:latest`, {
        dest: server.creds,
      }),
    ));
  } finally {
    sampled = sampler.stop();
  }
  return {
    peakMiB: round(sampled.peakKiB / 1024, 1),
    beforeMiB: round(before.kib / 1024, 1),
    samples: sampled.samples.length,
    intervalMs: params.rssIntervalMs,
    processes: sampled.maxProcesses,
    pushSeconds: round(seconds, 3),
    pushMiBPerSecond: round(ctx.rss.layerBytes / MiB / seconds, 1),
    layerBytes: ctx.rss.layerBytes,
  };
}

/** Starts one registry on a fresh data directory; `server` is null when it did not start. */
async function startTarget(name) {
  const result = { name, error: null, errors: {} };
  const dataDir = makeRunDir(path.join(benchDir, `${name}-${stamp}`));
  const port = await freePort();
  result.loadAverageAtStart = round(os.loadavg()[0], 2);
  console.log(`\n== ${name} (1-min load average ${result.loadAverageAtStart})`);
  let server;
  try {
    const t = performance.now();
    server =
      name === 'berth'
        ? await startBerth({ dataDir, port, serverMain })
        : await startDistribution({ dataDir, port, binary: DISTRIBUTION_BIN });
    result.server = {
      pid: server.pid,
      port,
      startupMs: Math.round(performance.now() - t),
      rssStartMiB: round(treeRssKiB(server.pid).kib / 1024, 1),
    };
    console.log(`${name} pid ${server.pid} on ${server.baseUrl}, /v2/ ready`);
  } catch (err) {
    result.error = err.message;
    console.log(`${name} did not start: ${err.message}`);
    if (!KEEP_DATA) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      runDirs.delete(dataDir);
    }
    return { name, result, server: null, dataDir };
  }
  result.authentication = server.creds
    ? 'skopeo --src-creds/--dest-creds admin:<API key>; HTTP clients Authorization: Bearer <API key>'
    : 'none';
  const client = new RegistryClient(server.baseUrl, { maxSockets: 1, headers: server.headers });
  return { name, result, server, dataDir, client, target: null, smallOk: false };
}

async function step(t, key, label, fn, cpuBefore = 0) {
  process.stdout.write(`  ${t.name.padEnd(12)} ${label.padEnd(44)} `);
  try {
    const cpu = cpuSeconds(t.server.pid);
    t.result[key] = await fn();
    // The server's own CPU time for the whole measure (repetitions and warm-ups included).
    t.result[key].serverCpuSeconds = round(cpuBefore + cpuSeconds(t.server.pid) - cpu, 2);
    console.log(
      `${summarize(key, t.result[key])}  [server CPU ${t.result[key].serverCpuSeconds} s]`,
    );
    return true;
  } catch (err) {
    t.result[key] = null;
    t.result.errors[key] = err.message;
    console.log(`FAILED\n${err.message.replace(/^/gm, '    ')}`);
    return false;
  }
}

/**
 * REPEAT repetitions of one measure with the registries taking turns (Berth, Distribution,
 * Distribution, Berth, …), so drift over the minutes a measure takes (the disk's write-back,
 * other work on the machine) weighs on both alike: pulls taken three of one registry and then
 * three of the other were 14 % apart in one run and 3 % apart in the next. The median of each
 * registry's runs is its figure; a failed repetition fails that registry's measure.
 */
async function inTurns(targets, each, key, label, once, finish) {
  const state = new Map(targets.map((t) => [t, { runs: [], cpu: 0, error: null }]));
  for (let i = 0; i < REPEAT; i += 1) {
    await each(async (t) => {
      const s = state.get(t);
      if (!s || s.error) return;
      const cpu = cpuSeconds(t.server.pid);
      try {
        s.runs.push(await once(t, i));
      } catch (err) {
        s.error = err;
      }
      s.cpu += cpuSeconds(t.server.pid) - cpu;
    });
  }
  for (const t of targets) {
    const s = state.get(t);
    await step(
      t,
      key,
      label,
      async () => {
        if (s.error) throw s.error;
        return finish(t, s.runs);
      },
      s.cpu,
    );
  }
}

/**
 * Every registry runs side by side, and each measure is taken on one right after the other,
 * so the load other work puts on the machine weighs on both alike (a run of one registry and
 * then the other, minutes apart, once saw the machine's load average go from 2 to 8 between
 * them). The order within a measure alternates from one measure to the next.
 */
async function benchAll(names, ctx) {
  const started = [];
  for (const name of names) started.push(await startTarget(name));
  const running = started.filter((t) => t.server);
  let turn = 0;
  const each = async (fn) => {
    const order = turn++ % 2 === 0 ? running : [...running].reverse();
    for (const t of order) await fn(t);
  };
  try {
    // First, on fresh servers: what the push itself costs, not what earlier loads left behind.
    await each((t) =>
      step(t, 'rss', `RSS pushing a ${params.rssLayerMiB} MiB layer`, () =>
        measureRss(ctx, t.server),
      ),
    );
    const bigMiB = round(ctx.big.layerBytes / MiB, 0);
    await inTurns(
      running,
      each,
      'bigPush',
      `push ${bigMiB} MiB, ${params.bigLayers} layers`,
      (t, i) => pushOnce(ctx, t.server, i),
      (t, runs) => bigPushResult({ ...ctx, client: t.client }, runs),
    );
    for (const t of running) t.pushed = Boolean(t.result.bigPush);
    await inTurns(
      running.filter((t) => t.pushed),
      each,
      'bigPull',
      `pull ${bigMiB} MiB`,
      (t) => pullOnce(ctx, t.server),
      (t, runs) => bigPullResult(ctx, runs),
    );
    for (const t of running) {
      if (!t.pushed) t.result.errors.bigPull = 'skipped: the push failed';
    }
    await each(async (t) => {
      t.smallOk = await step(t, 'smallPush', `push ${ctx.small.length} small images`, () =>
        measureSmallPush(ctx, t.server),
      );
    });
    await each((t) =>
      step(t, 'manifest', 'HEAD manifest once', async () => {
        t.target = await manifestTarget({ ...ctx, client: t.client }, t.smallOk);
        return t.target;
      }),
    );
    for (let round = 0; round < params.loadRounds; round++) {
      await each(async (t) => {
        if (!t.target) {
          t.result.errors.head = 'skipped: no manifest answered HEAD with 200';
          return;
        }
        await step(t, `head${round}`, `HEAD manifest, ${params.headConnections} connections`, () =>
          measureHead(ctx, t.server, t.target),
        );
      });
      if (WRK_GET) {
        await each(async (t) => {
          if (!t.target) return;
          await step(
            t,
            `wrkGet${round}`,
            `GET manifest (wrk), ${params.headConnections} connections`,
            () => measureWrkGet(ctx, t.server, t.target),
          );
        });
      }
    }
    for (const t of running) {
      // The median round is the figure; every round is kept.
      for (const key of ['head', 'wrkGet']) {
        const rounds = Array.from({ length: params.loadRounds }, (_, i) => t.result[`${key}${i}`])
          .filter(Boolean)
          .sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
        for (let i = 0; i < params.loadRounds; i++) delete t.result[`${key}${i}`];
        if (rounds.length === 0) continue;
        t.result[key] = {
          ...rounds[Math.floor(rounds.length / 2)],
          rounds: rounds.map((r) => r.requestsPerSecond),
        };
      }
      t.result.loadAverageAtEnd = round(os.loadavg()[0], 2);
      t.result.server.rssEndMiB = round(treeRssKiB(t.server.pid).kib / 1024, 1);
      t.result.server.vmHwmMiB = round(hwmKiB(t.server.pid) / 1024, 1);
    }
  } finally {
    for (const t of started) {
      t.client?.close();
      if (t.server) await stop(t.server.child);
      if (!KEEP_DATA) {
        fs.rmSync(t.dataDir, { recursive: true, force: true });
        runDirs.delete(t.dataDir);
      }
    }
    await sync();
  }
  return Object.fromEntries(started.map((t) => [t.name, t.result]));
}

function summarize(key, r) {
  // head0, head1, …: the rounds of one measure.
  switch (key.replace(/\d+$/, '')) {
    case 'bigPush':
    case 'bigPull':
      return `${r.seconds} s  ${r.mibPerSecond} MiB/s${r.notes?.length ? `  (${r.notes.join('; ')})` : ''}`;
    case 'smallPush':
      return `${r.seconds} s  ${r.imagesPerSecond} images/s`;
    case 'manifest':
      return `200 ${r.path} (${r.response.contentLength} bytes, ${r.response.contentType})`;
    case 'head':
    case 'wrkGet':
      return `${r.requestsPerSecond} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms${r.errors ? `  (${r.non2xx} non-2xx, ${r.errors - r.non2xx} socket errors)` : ''}`;
    case 'rss':
      return `peak ${r.peakMiB} MiB (before ${r.beforeMiB} MiB, ${r.samples} samples; push ${r.pushSeconds} s)`;
    default:
      return JSON.stringify(r);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function comparisonRows(results, inputs) {
  const b = results.berth;
  const d = results.distribution;
  const atLeast = (x, y) => x >= y;
  const rows = [
    {
      measure: `Push ${inputs.bigMiB} MiB image, ${params.bigLayers} layers (skopeo, median of ${params.repeat}), s`,
      get: (r) => r?.bigPush?.seconds,
    },
    {
      measure: 'Push throughput, MiB/s',
      get: (r) => r?.bigPush?.mibPerSecond,
      target: `≥ ${TARGETS.pushRatio}× Distribution`,
      met: (x, y) => atLeast(x, TARGETS.pushRatio * y),
    },
    {
      measure: `Pull ${inputs.bigMiB} MiB image (skopeo to dir:, median of ${params.repeat}), s`,
      get: (r) => r?.bigPull?.seconds,
    },
    {
      measure: 'Pull throughput, MiB/s',
      get: (r) => r?.bigPull?.mibPerSecond,
      target: `≥ ${TARGETS.pullRatio}× Distribution`,
      met: (x, y) => atLeast(x, TARGETS.pullRatio * y),
    },
    {
      measure: `Push ${params.smallImages} small tagged images (HTTP client), s`,
      get: (r) => r?.smallPush?.seconds,
    },
    {
      measure: 'Small image pushes, images/s',
      get: (r) => r?.smallPush?.imagesPerSecond,
      target: `≥ ${TARGETS.smallRatio}× Distribution`,
      met: (x, y) => atLeast(x, TARGETS.smallRatio * y),
    },
    {
      measure: `HEAD manifest, ${params.headConnections} connections, req/s`,
      get: (r) => r?.head?.requestsPerSecond,
      target: `≥ ${TARGETS.headRatio}× Distribution`,
      met: (x, y) => x >= TARGETS.headRatio * y,
    },
    {
      measure: `GET manifest, ${params.headConnections} connections (wrk), req/s`,
      get: (r) => r?.wrkGet?.requestsPerSecond,
    },
    {
      measure: `Peak server RSS pushing a ${params.rssLayerMiB} MiB layer (fresh server), MiB`,
      get: (r) => r?.rss?.peakMiB,
      target: `Berth < ${TARGETS.berthRssMiB} MiB`,
      met: (x) => x < TARGETS.berthRssMiB,
      berthOnly: true,
    },
    { measure: 'Server RSS just before that push, MiB', get: (r) => r?.rss?.beforeMiB },
    {
      measure: 'Peak server RSS over the whole run (VmHWM), MiB',
      get: (r) => r?.server?.vmHwmMiB,
    },
  ];
  return rows.map((row) => {
    const bv = row.get(b) ?? null;
    const dv = row.get(d) ?? null;
    const ratio = bv !== null && dv !== null && dv !== 0 ? round(bv / dv, 2) : null;
    let met = null;
    if (row.met && bv !== null && (row.berthOnly || dv !== null)) met = row.met(bv, dv);
    return {
      measure: row.measure,
      berth: bv,
      distribution: dv,
      ratio,
      target: row.target ?? null,
      met,
    };
  });
}

function cell(v, target) {
  if (v === null || v === undefined) return target ? 'n/a' : '—';
  return typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: 3 }) : String(v);
}

function markdown(report) {
  const { inputs, results } = report;
  const credentials = [
    targets.includes('berth') &&
      'Berth is called with an API key of its admin: skopeo with `--src-creds`/`--dest-creds ' +
        'admin:<key>` (it trades them for a token at `/auth/token`), the HTTP client, the HEAD ' +
        'load and wrk with `Authorization: Bearer <key>` on every request, so the HEAD figure ' +
        'includes checking the key each time.',
    targets.includes('distribution') &&
      'Distribution runs without authentication, as bench/registry/servers.mjs configures it.',
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `# Registry: Berth vs Distribution (${report.at})`,
    '',
    `Loopback, ${report.machine.cpus} CPUs, ${report.machine.memoryGiB} GiB RAM, ${report.machine.kernel}; ` +
      `Node ${report.tools.node}, ${report.tools.skopeo}, ${report.tools.distribution ?? 'Distribution not run'}, ${report.tools.wrk}.`,
    '',
    `Inputs: ${params.bigLayers} random layers of ${params.bigLayerMiB} MiB (gzip level 0, ` +
      `${inputs.bigMiB} MiB of layer blobs${inputs.bigReused ? ', layout reused' : ''}); ` +
      `${params.smallImages} images of one ${inputs.smallLayerBytes}-byte tar layer + config + manifest, ` +
      `pushed ${params.smallConcurrency === 1 ? 'one at a time' : `${params.smallConcurrency} at a time`} ` +
      `(7 requests each); HEAD of one of those manifests for ${params.headSeconds} s over ` +
      `${params.headConnections} keep-alive connections from ${params.headThreads} threads of ` +
      `bench/registry/head-load.mjs (wrk 4.1.0 cannot time HEAD, wg/wrk#198)` +
      `${WRK_GET ? ', and GET of it with wrk for comparison' : ''}, each after a ` +
      `${params.headWarmupSeconds} s warm-up, in ${params.loadRounds} rounds (the median round is ` +
      `the figure); RSS (VmRSS of the server process tree) ` +
      `sampled every ${params.rssIntervalMs} ms while skopeo pushes one ${params.rssLayerMiB} MiB layer, ` +
      'first thing after the server starts; the other measures follow in table order. Both ' +
      'registries run side by side and each measure is taken on one right after the other ' +
      '(which goes first alternates); the big push and pull take turns repetition by ' +
      'repetition, so load from other work and drift over the minutes weigh on both alike.',
    '',
    ...(credentials ? [credentials, ''] : []),
    `1-min load average when each registry started: ${targets
      .map((t) => `${t} ${results[t]?.loadAverageAtStart ?? 'n/a'}`)
      .join(', ')} (other work on the machine makes every figure noisier).`,
    '',
    '| Measure | Berth | Distribution | Berth/Distribution | Target | Met? |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...report.comparison.map(
      (r) =>
        `| ${r.measure} | ${cell(r.berth, r.target)} | ${cell(r.distribution, r.target)} | ` +
        `${r.ratio === null ? '—' : r.ratio} | ${r.target ?? '—'} | ` +
        `${r.target ? (r.met === null ? 'n/a' : r.met ? 'met' : '**missed**') : '—'} |`,
    ),
    '',
    'Spread (every run of each measure):',
    '',
    ...targets.map((name) => {
      const r = results[name] ?? {};
      const list = (xs, unit) => (xs?.length ? `${xs.join(', ')} ${unit}` : 'n/a');
      const cpu = (m) => (m?.serverCpuSeconds === undefined ? 'n/a' : `${m.serverCpuSeconds} s`);
      return (
        `- ${name}: push ${list(r.bigPush?.runs, 's')}; pull ${list(r.bigPull?.runs, 's')}; ` +
        `HEAD ${list(r.head?.rounds, 'req/s')}; GET ${list(r.wrkGet?.rounds, 'req/s')}. ` +
        `Server CPU time: ${params.repeat} pushes ${cpu(r.bigPush)}, ${params.repeat} pulls ` +
        `${cpu(r.bigPull)}, small pushes ${cpu(r.smallPush)}, one HEAD round ${cpu(r.head)}`
      );
    }),
    '',
  ];
  for (const name of targets) {
    const r = results[name];
    if (!r) continue;
    const problems = [];
    if (r.error) problems.push(`did not start: ${r.error}`);
    for (const [k, msg] of Object.entries(r.errors ?? {})) problems.push(`${k}: ${msg}`);
    for (const note of r.bigPush?.notes ?? []) problems.push(`bigPush: ${note}`);
    if (r.head?.errors) {
      problems.push(
        `head: ${r.head.non2xx} non-2xx responses, ${r.head.errors - r.head.non2xx} socket errors`,
      );
    }
    if (problems.length) {
      lines.push(`Problems with ${name}:`, '');
      for (const p of problems) {
        lines.push(`- ${p.split('\n')[0]}`);
        const rest = p.split('\n').slice(1).join('\n').trim();
        if (rest) lines.push('', '  ```text', ...rest.split('\n').map((l) => `  ${l}`), '  ```');
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const tools = checkTools();
  fs.mkdirSync(benchDir, { recursive: true });
  sweepStaleRunDirs();
  makeRunDir(scratch);
  console.log(`registry benchmark: ${targets.join(', ')}; ${JSON.stringify(params)}`);

  const layoutsDir = path.join(benchDir, 'layouts');
  const prepare = async (label, dir, layers, layerMiB) => {
    const layout = await ensureLayout(dir, { layers, layerMiB });
    console.log(
      layout.reused
        ? `reusing ${path.relative(root, dir)} (${label})`
        : `generated ${path.relative(root, dir)} (${label}) in ${round(layout.generateSeconds, 1)} s`,
    );
    return layout;
  };
  const big = await prepare(
    `${params.bigLayers} x ${params.bigLayerMiB} MiB`,
    path.join(layoutsDir, `big-${params.bigLayers}x${params.bigLayerMiB}MiB`),
    params.bigLayers,
    params.bigLayerMiB,
  );
  const rss = await prepare(
    `1 x ${params.rssLayerMiB} MiB`,
    path.join(layoutsDir, `rss-1x${params.rssLayerMiB}MiB`),
    1,
    params.rssLayerMiB,
  );
  await warmLayout(big);
  await warmLayout(rss);
  await sync();
  const small = smallImages(params.smallImages, params.smallLayerBytes);

  const ctx = {
    big,
    rss,
    small,
    skopeo: skopeoSetup(scratch, root),
    wrkScript: wrkScript(),
  };
  const results = await benchAll(targets, ctx);

  const inputs = {
    bigMiB: round(big.layerBytes / MiB, 1),
    bigLayerBytes: big.layerBytes,
    bigManifestDigest: big.manifest.digest,
    bigReused: big.reused,
    rssLayerBytes: rss.layerBytes,
    rssReused: rss.reused,
    smallLayerBytes: small[0].blobs[0].size,
  };
  const report = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
      kernel: `${os.type()} ${os.release()}`,
      platform: `${os.platform()} ${os.arch()}`,
    },
    tools,
    targets,
    params,
    inputs,
    goals: {
      pushThroughput: `≥ ${TARGETS.pushRatio}× Distribution`,
      pullThroughput: `≥ ${TARGETS.pullRatio}× Distribution`,
      smallPushes: `≥ ${TARGETS.smallRatio}× Distribution`,
      headRequestsPerSecond: `≥ ${TARGETS.headRatio}× Distribution`,
      berthPeakRssMiB: `< ${TARGETS.berthRssMiB}`,
    },
    results,
    comparison: comparisonRows(results, inputs),
  };

  await writeResultFiles(resultsDir, 'registry', report, markdown(report));

  const missed = report.comparison.filter((r) => r.met === false).length;
  if (missed) console.log(`${missed} target(s) missed (reported, not a failure)`);
  const failed = targets.filter(
    (t) => results[t].error || Object.keys(results[t].errors).length > 0,
  );
  if (failed.length) {
    console.log(`could not measure everything on: ${failed.join(', ')} (see above)`);
    process.exitCode = 1;
  }
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
