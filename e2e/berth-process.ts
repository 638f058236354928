import { spawn, type ChildProcess } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN } from './auth';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = path.join(repoRoot, 'apps/server/dist/main.js');

/** Where the global set-up left a data directory holding a freshly seeded demo registry. */
export const DEMO_TEMPLATE_ENV = 'BERTH_E2E_DEMO_TEMPLATE';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Berth server exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/api/v1/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Berth server did not become healthy in 30 s:\n${output()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface RunningBerth {
  url: string;
  stop: () => Promise<void>;
}

/** Starts a Berth server on a data directory and waits until it answers its health check. */
export async function launchBerth(
  dataDir: string,
  env: Record<string, string>,
): Promise<RunningBerth> {
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [serverEntry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      BERTH_DATA_DIR: dataDir,
      BERTH_PORT: String(port),
      BERTH_DEMO: '1',
      BERTH_ADMIN_USERNAME: ADMIN.username,
      BERTH_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => log);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { url, stop: () => stop(child) };
}

/**
 * Gives a test's data directory the demo registry. Seeding it takes ~3 s of pushes, so the
 * global set-up seeds it once and each test starts from a copy of that directory (~50 ms);
 * without the template (a spec run on its own outside the config) the server seeds it itself.
 */
export async function copyDemoTemplate(dataDir: string): Promise<void> {
  const template = process.env[DEMO_TEMPLATE_ENV];
  if (template) await cp(template, dataDir, { recursive: true });
}
