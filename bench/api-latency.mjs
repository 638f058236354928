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
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams, fileURLToPath } from 'node:url';
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
const TARGET_MS = 50;
const PAGE = 50;

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

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let port = 0;
/** `Authorization: Bearer <API key>` once signed in; /api/v1/health needs none. */
const headers = {};

function get(pathAndQuery) {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path: pathAndQuery, agent, headers };
    const req = http.get(opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${pathAndQuery} -> ${res.statusCode}: ${body.slice(0, 300)}`));
          return;
        }
        resolve(JSON.parse(body));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function waitForServer(child) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      await get('/api/v1/health');
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error('server did not become healthy within 120 s');
}

function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

const seg = encodeURIComponent;
const nsPath = (ns) => `/api/v1/namespaces/${seg(ns)}`;
const reposPath = (ns, q) => `${nsPath(ns)}/repositories?${new URLSearchParams(q)}`;
const searchPath = (q) => `/api/v1/search?${new URLSearchParams({ q })}`;
/** Six hex digits that differ from one request to the next, in no order. */
const hexPrefix = (i) => ((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(-6);
const imagesPath = (ns, repo, q) =>
  `${nsPath(ns)}/repositories/${seg(repo)}/images?${new URLSearchParams(q)}`;

/** Follows nextCursor `pages` times from the first page (or to the last page) and returns that page's URL. */
async function deepUrl(build, query, pages) {
  let url = build(query);
  for (let i = 0; i < pages; i++) {
    const page = await get(url);
    if (!page.nextCursor) {
      console.log(`  (only ${i + 1} pages: measuring the last one)`);
      break;
    }
    url = build({ ...query, cursor: page.nextCursor });
  }
  return url;
}

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** Results in an answer: a page's items, or every group of a search. */
function itemCount(body) {
  if (Array.isArray(body.items)) return body.items.length;
  return ['namespaces', 'repositories', 'tags', 'digests'].reduce(
    (n, group) => n + (body[group]?.items.length ?? 0),
    0,
  );
}

/** `url`: one URL, or a function of the request's number for a different one each time. */
async function measure(name, url) {
  const urlOf = typeof url === 'function' ? url : () => url;
  let items = 0;
  for (let i = 0; i < WARMUP; i++) items = itemCount(await get(urlOf(i)));
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const u = urlOf(WARMUP + i);
    const t = performance.now();
    await get(u);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const r = (v) => Number(v.toFixed(2));
  const result = {
    name,
    url: typeof url === 'function' ? `${url(0)} (varies)` : url,
    items,
    requests: REQUESTS,
    p50: r(percentile(times, 50)),
    p95: r(percentile(times, 95)),
    p99: r(percentile(times, 99)),
    max: r(times.at(-1)),
    mean: r(times.reduce((s, v) => s + v, 0) / times.length),
  };
  result.pass = result.p95 < TARGET_MS;
  console.log(
    `  ${name.padEnd(44)} p50 ${String(result.p50).padStart(7)}  p95 ${String(result.p95).padStart(7)}  p99 ${String(result.p99).padStart(7)} ms  ${result.pass ? 'pass' : 'MISS'}`,
  );
  return result;
}

async function main() {
  for (const f of [serverMain, seedCli]) {
    if (!fs.existsSync(f))
      throw new Error(`${path.relative(root, f)} is missing: run ./berth build`);
  }
  const dataset = await ensureDataset();
  port = await freePort();
  const child = spawn(process.execPath, [serverMain], {
    env: berthEnv({ dataDir, port }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const started = performance.now();
  try {
    await waitForServer(child);
    const startupMs = Math.round(performance.now() - started);
    const rssStart = rssKiB(child.pid);
    console.log(`server pid ${child.pid} on port ${port}, healthy after ${startupMs} ms`);
    headers.authorization = `Bearer ${await adminKey(`http://127.0.0.1:${port}`)}`;

    const namespaces = await get(`/api/v1/namespaces?limit=${PAGE}`);
    const largest = [...namespaces.items].sort((a, b) => b.imageCount - a.imageCount)[0];
    if (!largest) throw new Error('no namespaces in the dataset');
    const bigNs = dataset.seed.bigRepository.split('/')[0];
    const bigRepo = dataset.seed.bigRepository.slice(bigNs.length + 1);
    const bigImages = (await get(reposPath(bigNs, { sort: 'imageCount', limit: '1' }))).items[0];
    // Page 20 of the repositories, or the last page of a small namespace.
    const repoDepth = Math.max(1, Math.min(19, Math.ceil(largest.repositoryCount / PAGE) - 1));
    const deepImagePages = Math.max(1, Math.floor(params.big / 2 / 200));

    const deepImageUrl = await deepUrl(
      (q) => imagesPath(bigNs, bigRepo, q),
      { sort: 'pushedAt', order: 'desc', limit: '200' },
      deepImagePages,
    ).then((u) => u.replace('limit=200', `limit=${PAGE}`));
    // A digest from the middle of the big repository, searched by its first 12 hex digits.
    const middle = await get(deepImageUrl);
    const digestPrefix = (middle.items[0]?.digest ?? 'sha256:0').slice(7, 19);
    const cases = [
      ['namespaces ?limit=50', `/api/v1/namespaces?limit=${PAGE}`],
      ['repos: largest ns, sort=name', reposPath(largest.name, { sort: 'name', limit: PAGE })],
      [
        'repos: largest ns, sort=sizeBytes desc',
        reposPath(largest.name, { sort: 'sizeBytes', order: 'desc', limit: PAGE }),
      ],
      [
        `repos: largest ns, name, page ${repoDepth + 1} (cursor)`,
        await deepUrl((q) => reposPath(largest.name, q), { sort: 'name', limit: PAGE }, repoDepth),
      ],
      [
        'images: big repo, pushedAt desc, page 1',
        imagesPath(bigNs, bigRepo, { sort: 'pushedAt', order: 'desc', limit: PAGE }),
      ],
      [
        `images: big repo, pushedAt, ~${(deepImagePages * 200).toLocaleString('en')} deep`,
        deepImageUrl,
      ],
      [
        'images: big repo, createdAt desc, page 1',
        imagesPath(bigNs, bigRepo, { sort: 'createdAt', limit: PAGE }),
      ],
      [
        'images: big repo, q=build-4242 (tag prefix)',
        imagesPath(bigNs, bigRepo, { q: 'build-4242', limit: PAGE }),
      ],
      [
        'images: big repo, q=build- (broad tag prefix)',
        imagesPath(bigNs, bigRepo, { q: 'build-', limit: PAGE }),
      ],
      [
        `images: big repo, q=${digestPrefix} (digest prefix)`,
        imagesPath(bigNs, bigRepo, { q: digestPrefix, limit: PAGE }),
      ],
      [
        'images: big repo, q=v1.42. (tag prefix)',
        imagesPath(bigNs, bigRepo, { q: 'v1.42.', limit: PAGE }),
      ],
      // The header's search across the registry (issue 15), 5 results per group.
      ['search: q=team-1 (repositories, tags)', searchPath('team-1')],
      ['search: q=build-4242 (tag in every repo)', searchPath('build-4242')],
      ['search: q=zzz (no match anywhere)', searchPath('zzz')],
      [`search: q=${bigNs}/${bigRepo}:v1.42`, searchPath(`${bigNs}/${bigRepo}:v1.42`)],
      [
        `search: q=${digestPrefix.slice(0, 6)} (digest prefix)`,
        searchPath(digestPrefix.slice(0, 6)),
      ],
      // A different text each time: each one a cold walk of the repositories' tag ranges.
      ['search: a new 6-hex prefix each request', (i) => searchPath(hexPrefix(i))],
    ];

    console.log(
      `\nmeasuring ${REQUESTS} sequential requests each after ${WARMUP} warm-up (target p95 < ${TARGET_MS} ms)`,
    );
    const results = [];
    // BENCH_CASES=<regex>: only the endpoints whose name matches, e.g. "^search|page 1".
    const only = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : null;
    for (const [name, url] of cases) {
      if (!only || only.test(name)) results.push(await measure(name, url));
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
        bigRepositoryImages: bigImages?.imageCount ?? null,
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
    agent.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
