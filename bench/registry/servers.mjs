// Starting the two registries on loopback, each on a fresh data directory.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient } from './client.mjs';
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

/** Waits for GET /v2/ = 200; on failure the server is killed before the error is thrown. */
async function waitForV2(server, opts) {
  try {
    await pollV2(server, opts);
  } catch (err) {
    server.child.kill('SIGKILL');
    throw err;
  }
}

async function pollV2(server, { requireHeader }) {
  const client = new RegistryClient(server.baseUrl, { maxSockets: 1 });
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  try {
    while (Date.now() < deadline) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(
          `${server.name} exited (${server.child.exitCode ?? server.child.signalCode}) before GET /v2/ answered 200:\n${server.output()}`,
        );
      }
      try {
        const res = await client.request('GET', '/v2/');
        const header = res.headers['docker-distribution-api-version'];
        if (res.status === 200 && (!requireHeader || header === 'registry/2.0')) return;
        last = `GET /v2/ -> ${res.status}, Docker-Distribution-API-Version: ${header ?? '(none)'}: ${res.body.toString('utf8').slice(0, 300)}`;
        // A definite answer that is not 200 will not change while we wait.
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
  const server = {
    name: 'distribution',
    child,
    pid: child.pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dataDir,
    output: tail(child),
  };
  await waitForV2(server, { requireHeader: true });
  return server;
}

export async function startBerth({ dataDir, port, serverMain }) {
  fs.mkdirSync(dataDir, { recursive: true });
  const child = track(
    spawn(process.execPath, [serverMain], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        BERTH_DATA_DIR: dataDir,
        BERTH_PORT: String(port),
        BERTH_HOST: '127.0.0.1',
        BERTH_DEMO: '0',
        BERTH_LOG_LEVEL: 'warn',
      },
    }),
  );
  const server = {
    name: 'berth',
    child,
    pid: child.pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dataDir,
    output: tail(child),
  };
  // Echo Berth's own warnings: they are the first thing to read when a push fails.
  child.stderr.on('data', (c) => process.stderr.write(`  [berth] ${c}`));
  await waitForV2(server, { requireHeader: true });
  const client = new RegistryClient(server.baseUrl, { maxSockets: 1 });
  try {
    await client.expect('POST', '/api/v1/namespaces', [201], {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ name: NAMESPACE, region: 'local' })),
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.close();
  }
  return server;
}
