import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';
import { ADMIN, BerthClient, createApiKey, signIn } from './auth';
import { seedSyntheticRegistry, type SyntheticRegistry } from './synthetic-registry';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = path.join(repoRoot, 'apps/server/dist/main.js');

export interface BerthServer {
  url: string;
  dataDir: string;
}

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

interface Fixtures {
  /** Extra environment for the test's server, e.g. a small BERTH_BULK_CHUNK_IMAGES. */
  serverEnv: Record<string, string>;
  /**
   * A metadata-only registry written into the data directory before the server starts
   * (seed-large), instead of the demo: thousands of images in a second, for bulk work that
   * must run long enough to be watched. Null (the default): the demo registry.
   */
  syntheticRegistry: SyntheticRegistry | null;
  berth: BerthServer;
  /** The page starts signed in as the admin; `test.use({ signedIn: false })` to sign in by hand. */
  signedIn: boolean;
  /** The admin through an API key, for set-up outside the browser (made only when asked for). */
  admin: BerthClient;
}

/**
 * Every test gets its own server with a fresh demo registry in a temporary directory,
 * so journeys that delete things never see each other's changes; both go away after.
 */
export const test = base.extend<Fixtures>({
  serverEnv: [{}, { option: true }],
  syntheticRegistry: [null, { option: true }],
  berth: async ({ serverEnv, syntheticRegistry }, use) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'berth-e2e-'));
    if (syntheticRegistry) {
      await seedSyntheticRegistry(dataDir, syntheticRegistry).catch(async (error: unknown) => {
        await rm(dataDir, { recursive: true, force: true });
        throw error;
      });
    }
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
        ...serverEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url, child, () => log);
      await use({ url, dataDir });
    } finally {
      await stop(child);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
  baseURL: async ({ berth }, use) => {
    await use(berth.url);
  },
  signedIn: [true, { option: true }],
  page: async ({ page, signedIn }, use) => {
    if (signedIn) await signIn(page.request, ADMIN);
    await use(page);
  },
  admin: async ({ berth }, use) => {
    await use(
      new BerthClient(berth.url, ADMIN.username, await createApiKey(berth.url, ADMIN, 'e2e')),
    );
  },
});

export { expect };
