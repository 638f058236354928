// Starting the two registries on loopback, each on a fresh data directory. Each server says how
// to call it: `creds` for skopeo (user:password, or null) and `headers` for HTTP clients. Berth
// is called with an API key of its first admin; Distribution runs as configured here, without
// authentication.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient } from './client.mjs';
import { ADMIN_USERNAME, adminKey, berthEnv } from '../lib/credentials.mjs';
import { track } from '../lib/process.mjs';

export const NAMESPACE = 'bench';

/** Keeps the last lines a server wrote, to explain a failure. */
function tail(child, lines = 60) {
  const kept = [];
  const add = (chunk) => {
    kept.push(...String(chunk).split('\n').filter(Boolean));
    if (kept.length > lines) kept.splice(0, kept.length - lines);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => kept.join('\n');
}

/**
 * Waits for an anonymous GET /v2/ to answer `status` (200, or 401 from a registry that wants
 * credentials); on failure the server is killed before the error is thrown.
 */
/** What the benchmark knows of a running registry; credentials are filled in once known. */
function serverRecord(name, child, port, dataDir) {
  return {
    name,
    child,
    pid: child.pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dataDir,
    output: tail(child),
    creds: null,
    headers: {},
  };
}

async function waitForV2(server, opts) {
  try {
    await pollV2(server, opts);
  } catch (err) {
    server.child.kill('SIGKILL');
    throw err;
  }
}

async function pollV2(server, { requireHeader, status = 200 }) {
  const client = new RegistryClient(server.baseUrl, { maxSockets: 1 });
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  try {
    while (Date.now() < deadline) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(
          `${server.name} exited (${server.child.exitCode ?? server.child.signalCode}) before GET /v2/ answered ${status}:\n${server.output()}`,
        );
      }
      try {
        const res = await client.request('GET', '/v2/');
        const header = res.headers['docker-distribution-api-version'];
        if (res.status === status && (!requireHeader || header === 'registry/2.0')) return;
        last = `GET /v2/ -> ${res.status}, Docker-Distribution-API-Version: ${header ?? '(none)'}: ${res.body.toString('utf8').slice(0, 300)}`;
        // A definite answer that is not the one awaited will not change while we wait.
        if (res.status === 404 || res.status === 405) break;
      } catch (err) {
        last = err.message;
      }
      await sleep(200);
    }
  } finally {
    client.close();
  }
  throw new Error(`${server.name}: /v2/ is not ready: ${last}`);
}

export async function startDistribution({ dataDir, port, binary = '/usr/bin/docker-registry' }) {
  const storage = path.join(dataDir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  const configFile = path.join(dataDir, 'config.yml');
  // The in-memory blob descriptor cache is in upstream's and Debian's shipped config.yml;
  // the access log is off so neither server writes a line per request.
  fs.writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(storage)}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = track(
    spawn(binary, ['serve', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: dataDir },
    }),
  );
  const server = serverRecord('distribution', child, port, dataDir);
  await waitForV2(server, { requireHeader: true });
  return server;
}

/**
 * `nodeArgs` go before the script (`--cpu-prof`, say, for bench/registry/profile.mjs); `env`
 * adds to or overrides berthEnv's (`BERTH_SCAN_ON_PUSH`, say, for bench/scanning/run.mjs).
 */
export async function startBerth({ dataDir, port, serverMain, nodeArgs = [], env = {} }) {
  fs.mkdirSync(dataDir, { recursive: true });
  const child = track(
    spawn(process.execPath, [...nodeArgs, serverMain], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...berthEnv({ dataDir, port }), ...env },
    }),
  );
  const server = serverRecord('berth', child, port, dataDir);
  // Echo Berth's own warnings: they are the first thing to read when a push fails.
  child.stderr.on('data', (c) => process.stderr.write(`  [berth] ${c}`));
  // Anonymous callers get the 401 challenge that sends clients to log in.
  await waitForV2(server, { requireHeader: true, status: 401 });
  let client = null;
  try {
    const key = await adminKey(server.baseUrl);
    // skopeo logs in with it (Basic to /auth/token, then the token); HTTP clients send it raw.
    server.creds = `${ADMIN_USERNAME}:${key}`;
    server.headers = { authorization: `Bearer ${key}` };
    client = new RegistryClient(server.baseUrl, { maxSockets: 1, headers: server.headers });
    await client.expect('GET', '/v2/', [200]);
    // 409: a restart on a data directory that has it already (bench/registry/profile.mjs).
    await client.expect('POST', '/api/v1/namespaces', [201, 409], {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ name: NAMESPACE, region: 'local' })),
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client?.close();
  }
  return server;
}
