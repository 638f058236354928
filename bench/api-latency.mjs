// API latency benchmark over a large synthetic registry.
//
//   ./berth bench api          (builds, then runs this script)
//   BENCH_IMAGES=50000 BENCH_BIG=10000 BENCH_REPOSITORIES=500 node bench/api-latency.mjs
//   BENCH_DATA_DIR=/tmp/copy/large BENCH_CASES='^search' node bench/api-latency.mjs
//     (a copy of the dataset, with large.json beside it as /tmp/copy/large.json; only the
//     endpoints whose name matches the regular expression)
//
// Seeds .bench-data/large with apps/server/dist/cli/seed-large.js (reused when the
// parameters recorded in .bench-data/large.json match), starts the built server on a
// free port, signs in as its first admin and creates an API key (bench/lib/credentials.mjs), and
// measures sequential request latency of the listing endpoints, each request carrying the key.
// Writes bench/results/api-latency.{json,md}. Exits non-zero only when it cannot run:
// a missed target is reported, never a failure (benchmarks report; tests assert).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { TARGET_MS, apiCases, apiClient, measureCase } from './lib/api-cases.mjs';
import { adminKey, berthEnv } from './lib/credentials.mjs';
import { envInt, freePort } from './lib/process.mjs';
import { writeResultFiles } from './lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const int = envInt;

const params = {
  images: int('BENCH_IMAGES', 1_000_000),
  repositories: int('BENCH_REPOSITORIES', 10_000),
  namespaces: int('BENCH_NAMESPACES', 10),
  big: int('BENCH_BIG', 100_000),
  seed: int('BENCH_SEED', 1),
};
const REQUESTS = int('BENCH_REQUESTS', 300);
const WARMUP = int('BENCH_WARMUP', 30);

const benchData = path.join(root, '.bench-data');
// BENCH_DATA_DIR: a copy of the dataset to run on (the server migrates what it opens), with
// its parameters beside it in <dir>.json.
const dataDir = process.env.BENCH_DATA_DIR
  ? path.resolve(process.env.BENCH_DATA_DIR)
  : path.join(benchData, 'large');
const paramsFile = process.env.BENCH_DATA_DIR
  ? `${dataDir}.json`
  : path.join(benchData, 'large.json');
const dbFile = path.join(dataDir, 'berth.db');
const resultsDir = path.join(root, 'bench', 'results');
const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');
const seedCli = path.join(root, 'apps', 'server', 'dist', 'cli', 'seed-large.js');

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

async function ensureDataset() {
  let recorded = null;
  try {
    recorded = JSON.parse(fs.readFileSync(paramsFile, 'utf8'));
  } catch {
    recorded = null;
  }
  const same =
    recorded &&
    fs.existsSync(dbFile) &&
    Object.entries(params).every(([k, v]) => recorded.params?.[k] === v);
  if (same) {
    console.log(`reusing ${path.relative(root, dataDir)} (${JSON.stringify(params)})`);
    return { ...recorded, reused: true };
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(paramsFile, { force: true });
  const out = await run(process.execPath, [
    seedCli,
    '--data-dir',
    dataDir,
    '--images',
    String(params.images),
    '--repositories',
    String(params.repositories),
    '--namespaces',
    String(params.namespaces),
    '--big',
    String(params.big),
    '--seed',
    String(params.seed),
  ]);
  const summaryLine = out.split('\n').find((l) => l.startsWith('{'));
  if (!summaryLine) throw new Error('seed-large printed no summary');
  const summary = JSON.parse(summaryLine);
  const record = { params, seed: summary, seededAt: new Date().toISOString() };
  fs.writeFileSync(paramsFile, `${JSON.stringify(record, null, 2)}\n`);
  return { ...record, reused: false };
}

function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function main() {
  for (const f of [serverMain, seedCli]) {
    if (!fs.existsSync(f))
      throw new Error(`${path.relative(root, f)} is missing: run ./berth build`);
  }
  const dataset = await ensureDataset();
  const port = await freePort();
  const client = apiClient(`http://127.0.0.1:${port}`);
  const child = spawn(process.execPath, [serverMain], {
    env: berthEnv({ dataDir, port }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const started = performance.now();
  try {
    await client.waitForHealth(child);
    const startupMs = Math.round(performance.now() - started);
    const rssStart = rssKiB(child.pid);
    console.log(`server pid ${child.pid} on port ${port}, healthy after ${startupMs} ms`);
    client.setKey(await adminKey(`http://127.0.0.1:${port}`));
    const { cases, largest, bigImagesListed } = await apiCases(client, {
      bigRepository: dataset.seed.bigRepository,
      bigImages: params.big,
    });
    console.log(
      `\nmeasuring ${REQUESTS} sequential requests each after ${WARMUP} warm-up (target p95 < ${TARGET_MS} ms)`,
    );
    const results = [];
    // BENCH_CASES=<regex>: only the endpoints whose name matches, e.g. "^search|page 1".
    const only = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : null;
    for (const [name, url] of cases) {
      if (!only || only.test(name))
        results.push(await measureCase(client, name, url, { requests: REQUESTS, warmup: WARMUP }));
    }
    const rssEnd = rssKiB(child.pid);
    const dbBytes = fs.statSync(dbFile).size;

    const report = {
      at: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        platform: `${os.platform()} ${os.arch()}`,
      },
      dataset: {
        ...params,
        bigRepository: dataset.seed.bigRepository,
        bigRepositoryImages: bigImagesListed,
        largestNamespace: largest.name,
        seedSeconds: dataset.seed.seconds,
        seedImagesPerSecond: dataset.seed.imagesPerSecond,
        reused: dataset.reused,
        dbBytes,
      },
      server: {
        startupMs,
        rssStartMiB: Math.round(rssStart.rss / 1024),
        rssEndMiB: Math.round(rssEnd.rss / 1024),
        rssPeakMiB: Math.round(rssEnd.peak / 1024),
      },
      targetP95Ms: TARGET_MS,
      requestsPerEndpoint: REQUESTS,
      warmupPerEndpoint: WARMUP,
      authentication: 'Authorization: Bearer <API key> on every request',
      results,
    };

    const mib = (b) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
    const md = [
      `# API latency (${report.at})`,
      '',
      `Dataset: ${params.images.toLocaleString('en')} images, ${params.repositories.toLocaleString('en')} repositories, ` +
        `${params.namespaces} namespaces; big repository \`${dataset.seed.bigRepository}\` with ` +
        `${params.big.toLocaleString('en')} images. Seed: ${dataset.seed.seconds} s ` +
        `(${dataset.seed.imagesPerSecond.toLocaleString('en')} images/s${dataset.reused ? ', reused' : ''}). ` +
        `DB file: ${mib(dbBytes)}.`,
      '',
      `Server: Node ${process.version}, ${os.cpus().length} CPUs; RSS ${report.server.rssStartMiB} MiB after start, ` +
        `${report.server.rssEndMiB} MiB after the run (peak ${report.server.rssPeakMiB} MiB).`,
      '',
      `${REQUESTS} sequential requests per endpoint after ${WARMUP} warm-up, each with the admin's ` +
        `API key as \`Authorization: Bearer\`; target p95 < ${TARGET_MS} ms.`,
      '',
      '| Endpoint | Items | p50 ms | p95 ms | p99 ms | Target |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.items} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.pass ? 'pass' : '**miss**'} |`,
      ),
      '',
    ].join('\n');

    await writeResultFiles(resultsDir, 'api-latency', report, md);
    const missed = results.filter((r) => !r.pass).length;
    if (missed)
      console.log(`${missed} endpoint(s) missed the p95 target (reported, not a failure)`);
  } finally {
    child.kill('SIGTERM');
    client.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
