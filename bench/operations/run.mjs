/* global fetch */
// Bulk operations over a large synthetic registry, with a probe measuring what everybody
// else waits meanwhile (issue 14).
//
//   node bench/operations/run.mjs --seed-dir DIR     (a data directory seed-large built)
//
// Copies the seeded data directory to a scratch one, starts the built server on it, and times:
// the delete of the big repository, a retention preview + confirm (keep 10) of another
// namespace, and the delete of the namespace that held the big repository. Throughout, a
// probe sends a manifest HEAD and a namespaces page every 50 ms and records their latency.
// The server logs each operation's chunks and longest chunk transaction. Reports; never fails
// on a missed target.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { adminKey, berthEnv } from '../lib/credentials.mjs';
import { freePort } from '../lib/process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seedDir = arg('seed-dir');
if (!seedDir) throw new Error('--seed-dir DIR is required (a data directory built by seed-large)');
const scratch = arg('scratch', `${seedDir}-scratch`);
const bigNamespace = arg('big-namespace', 'bench-0001');
const bigRepository = arg('big-repository', 'big/monorepo');
const retentionNamespace = arg('retention-namespace', 'bench-0002');
const probeNamespace = arg('probe-namespace', 'bench-0003');

fs.rmSync(scratch, { recursive: true, force: true });
fs.cpSync(seedDir, scratch, { recursive: true });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [path.join(root, 'apps/server/dist/main.js')], {
  env: { ...berthEnv({ dataDir: scratch, port }), BERTH_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const log = [];
server.stdout.on('data', (c) => log.push(c.toString()));
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/api/v1/health`)).ok) break;
  } catch {
    /* not yet */
  }
  if (i > 600) throw new Error('server did not start');
  await sleep(200);
}
const key = await adminKey(base);
const auth = { authorization: `Bearer ${key}` };
const api = async (method, p, body) => {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location'),
    body: text ? JSON.parse(text) : null,
  };
};

// A manifest the probe HEADs: the newest image of the probe namespace's first repository.
const repos = await api('GET', `/api/v1/namespaces/${probeNamespace}/repositories?limit=1`);
const probeRepo = repos.body.items[0].name;
const images = await api(
  'GET',
  `/api/v1/namespaces/${probeNamespace}/repositories/${encodeURIComponent(probeRepo)}/images?limit=1`,
);
const probeDigest = images.body.items[0].digest;

let samples = [];
let probing = true;
let errors = 0;
const probe = (async () => {
  while (probing) {
    const t0 = performance.now();
    const [head, page] = await Promise.all([
      fetch(`${base}/v2/${probeNamespace}/${probeRepo}/manifests/${probeDigest}`, {
        method: 'HEAD',
        headers: auth,
      }),
      fetch(`${base}/api/v1/namespaces?limit=50`, { headers: auth }).then(
        async (r) => (await r.text(), r),
      ),
    ]);
    const ms = performance.now() - t0;
    if (head.status >= 500 || page.status !== 200) errors++;
    samples.push(ms);
    await sleep(Math.max(0, 50 - ms));
  }
})();

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const phases = [];
async function phase(name, work) {
  samples = [];
  errors = 0;
  const t0 = performance.now();
  const extra = await work();
  const seconds = (performance.now() - t0) / 1000;
  const row = {
    phase: name,
    seconds: Math.round(seconds * 100) / 100,
    probes: samples.length,
    p50: Math.round(pct(samples, 50) * 10) / 10,
    p99: Math.round(pct(samples, 99) * 10) / 10,
    max: Math.round(Math.max(0, ...samples) * 10) / 10,
    errors,
    ...extra,
  };
  phases.push(row);
  console.log(JSON.stringify(row));
}
async function follow(res) {
  if (res.status !== 202) return { status: res.status };
  for (;;) {
    const op = await api('GET', res.location);
    if (op.body.state !== 'running')
      return { status: 202, state: op.body.state, images: op.body.total };
    await sleep(100);
  }
}

await sleep(1000);
await phase('idle', async () => {
  await sleep(3000);
  return {};
});
await phase(`repository delete ${bigNamespace}/${bigRepository}`, async () =>
  follow(
    await api(
      'DELETE',
      `/api/v1/namespaces/${bigNamespace}/repositories/${encodeURIComponent(bigRepository)}`,
    ),
  ),
);
let previewId = '';
await phase(`retention preview ${retentionNamespace} (keep 10)`, async () => {
  const res = await api('POST', `/api/v1/namespaces/${retentionNamespace}/retention/previews`, {
    rules: { keepCount: 10, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
  });
  previewId = res.body.id;
  return { status: res.status, delete: res.body.totals?.delete };
});
await phase(`retention confirm ${retentionNamespace}`, async () =>
  follow(
    await api('POST', `/api/v1/namespaces/${retentionNamespace}/retention/runs`, { previewId }),
  ),
);
await phase(`namespace delete ${bigNamespace}`, async () =>
  follow(await api('DELETE', `/api/v1/namespaces/${bigNamespace}`)),
);
probing = false;
await probe;
const operations = log
  .join('')
  .split('\n')
  .filter((l) => l.includes('"operation succeeded"'))
  .map((l) => {
    const j = JSON.parse(l);
    return {
      kind: j.kind,
      images: j.images,
      chunks: j.chunks,
      longestChunkMs: j.longestChunkMs,
      ms: j.ms,
    };
  });
console.log(JSON.stringify({ operations }, null, 2));
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
fs.rmSync(scratch, { recursive: true, force: true });
