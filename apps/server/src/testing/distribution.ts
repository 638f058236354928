import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway CNCF Distribution (`docker-registry`) on loopback: a reference registry to
 * validate the skopeo harness against and to compare Berth with in benchmarks.
 */

export const DISTRIBUTION_BINARY = '/usr/bin/docker-registry';

export interface Distribution {
  /** `127.0.0.1:<port>`, ready for `skopeo` refs such as `${host}/ns/repo:tag`. */
  host: string;
  /** Filesystem storage root, for tests that want to look at what was stored. */
  storageDir: string;
  stop(): Promise<void>;
}

export interface StartDistributionOptions {
  binary?: string;
  readyTimeoutMs?: number;
}

export function hasDistribution(binary = DISTRIBUTION_BINARY): boolean {
  return fs.existsSync(binary);
}

export async function startDistribution(
  opts: StartDistributionOptions = {},
): Promise<Distribution> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-distribution-'));
  const storageDir = path.join(root, 'storage');
  fs.mkdirSync(storageDir);
  const host = `127.0.0.1:${await freePort()}`;
  const configPath = path.join(root, 'config.yml');
  fs.writeFileSync(configPath, configYaml(storageDir, host));
  const child = spawn(opts.binary ?? DISTRIBUTION_BINARY, ['serve', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collect(child);
  let spawnError: Error | null = null;
  // Without a listener a missing binary would be an uncaught 'error' event; exited() reports it.
  child.once('error', (error) => (spawnError = error));
  const exited = () => {
    if (spawnError) return spawnError;
    const status = child.exitCode ?? child.signalCode;
    return status === null ? null : `exited (${status}): ${stderr()}`;
  };
  const cleanup = () =>
    stopChild(child).finally(() => fs.rmSync(root, { recursive: true, force: true }));
  try {
    await waitUntilReady(host, exited, opts.readyTimeoutMs ?? 10_000);
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { host, storageDir, stop: cleanup };
}

function configYaml(storageDir: string, host: string): string {
  // JSON strings are valid YAML scalars, which quotes the temp path safely.
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${JSON.stringify(host)}`,
    '',
  ].join('\n');
}

/**
 * Asks the kernel for a free port. Another process could take it before the registry binds, but
 * then the registry exits and startDistribution reports its stderr rather than hanging.
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function collect(child: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8').trim();
}

/** `exited` returns why the registry is gone (spawn error or its stderr), or null if it runs. */
async function waitUntilReady(
  host: string,
  exited: () => Error | string | null,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = exited();
    if (reason !== null) throw new Error(`docker-registry did not start: ${String(reason)}`);
    if (await answers(`http://${host}/v2/`)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`docker-registry on ${host} not ready after ${timeoutMs} ms`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    // Connection refused until the registry listens.
    return false;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  const gone = child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
