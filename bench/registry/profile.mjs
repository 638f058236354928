// Where Berth's /v2 time goes: starts the built server with `node --cpu-prof`, drives one kind
// of registry load at it, stops it (the profile is written on exit) and prints self and
// inclusive time by function and by package.
//
//   node bench/registry/profile.mjs head     HEAD manifest load (head-load.mjs), BENCH_HEAD_SECONDS
//   node bench/registry/profile.mjs small    BENCH_SMALL_IMAGES small pushes (the HTTP client)
//   node bench/registry/profile.mjs push     skopeo push of the big layout (run.mjs makes it)
//   node bench/registry/profile.mjs pull     skopeo pull of it, after an unprofiled push
//
// The .cpuprofile is kept under .bench-data/registry/profiles/ (open it in Chrome DevTools or
// speedscope for the flame graph); BENCH_PROFILE_TOP sets how many rows are printed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_ACCEPT, RegistryClient } from './client.mjs';
import { headLoad } from './head-load.mjs';
import { REF_NAME, smallImages } from './layout.mjs';
import { NAMESPACE, startBerth } from './servers.mjs';
import { formatSummary, readProfile, summarizeProfile } from '../lib/cpu-profile.mjs';
import { envInt, freePort, run, stop } from '../lib/process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const phase = process.argv[2];
const PHASES = ['head', 'small', 'push', 'pull'];
if (!PHASES.includes(phase)) {
  console.error(`usage: node bench/registry/profile.mjs ${PHASES.join('|')}`);
  process.exit(2);
}
const benchDir = path.join(root, '.bench-data', 'registry');
const layout = path.join(benchDir, 'layouts', 'big-5x100MiB');
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
const dataDir = path.join(benchDir, `profile-${phase}-${stamp}`);
const profileDir = path.join(benchDir, 'profiles');
const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');

function skopeo(server, src, dest) {
  const dir = path.join(dataDir, 'skopeo');
  fs.mkdirSync(path.join(dir, 'registries.d'), { recursive: true });
  const policy = path.join(dir, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const auth = path.join(dir, 'auth.json');
  fs.writeFileSync(auth, '{}');
  const credsFlag = src.startsWith('docker://') ? '--src-creds' : '--dest-creds';
  if (process.getuid?.() === 0) {
    fs.rmSync('/var/lib/containers/cache/blob-info-cache-v1.boltdb', { force: true });
  }
  return run(
    'skopeo',
    [
      '--policy',
      policy,
      '--registries.d',
      path.join(dir, 'registries.d'),
      'copy',
      '--quiet',
      '--authfile',
      auth,
      credsFlag,
      server.creds,
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      src,
      dest,
    ],
    { env: { ...process.env, REGISTRY_AUTH_FILE: auth } },
  );
}

async function main() {
  fs.mkdirSync(profileDir, { recursive: true });
  const port = await freePort();
  if (phase === 'pull') {
    // The image is pushed by a server that is not profiled; the profiled one only serves it.
    const pusher = await startBerth({ dataDir, port, serverMain });
    try {
      await skopeo(
        pusher,
        `oci:${layout}:${REF_NAME}`,
        `docker://${pusher.host}/${NAMESPACE}/big:latest`,
      );
    } finally {
      await stop(pusher.child, 20_000);
    }
  }
  const server = await startBerth({
    dataDir,
    port,
    serverMain,
    nodeArgs: [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${phase}-${stamp}.cpuprofile`,
    ],
  });
  const client = new RegistryClient(server.baseUrl, { maxSockets: 1, headers: server.headers });
  let requests = null;
  const t = Date.now();
  try {
    if (phase === 'head') {
      const [image] = smallImages(1, 4096);
      await client.pushImage(`${NAMESPACE}/small`, image);
      const r = await headLoad({
        host: '127.0.0.1',
        port,
        path: `/v2/${NAMESPACE}/small/manifests/${image.tag}`,
        headers: { ...server.headers, Accept: MANIFEST_ACCEPT },
        connections: envInt('BENCH_HEAD_CONNECTIONS', 32),
        threads: 2,
        seconds: envInt('BENCH_HEAD_SECONDS', 10),
      });
      requests = r.requests;
      console.log(`HEAD: ${Math.round(r.requestsPerSecond)} req/s, ${r.non2xx} non-2xx`);
    } else if (phase === 'small') {
      const images = smallImages(envInt('BENCH_SMALL_IMAGES', 200), 4096);
      for (const image of images) await client.pushImage(`${NAMESPACE}/small`, image);
      requests = images.length * 7;
      console.log(`small: ${images.length} images in ${(Date.now() - t) / 1000} s`);
    } else {
      if (!fs.existsSync(layout))
        throw new Error(`${layout} is missing: run bench/registry/run.mjs once`);
      const ref = `docker://${server.host}/${NAMESPACE}/big:latest`;
      if (phase === 'pull') {
        await skopeo(server, ref, `dir:${path.join(dataDir, 'pulled')}`);
        console.log(`pull: ${(Date.now() - t) / 1000} s`);
      } else {
        await skopeo(server, `oci:${layout}:${REF_NAME}`, ref);
        console.log(`push: ${(Date.now() - t) / 1000} s`);
      }
    }
  } finally {
    client.close();
    await stop(server.child, 20_000);
  }
  const file = path.join(profileDir, `${phase}-${stamp}.cpuprofile`);
  console.log(`\n${path.relative(root, file)}\n`);
  console.log(
    formatSummary(summarizeProfile(readProfile(file)), {
      top: envInt('BENCH_PROFILE_TOP', 25),
      requests,
    }),
  );
}

try {
  await main();
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
