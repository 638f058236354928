import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { ADMIN, BerthClient, createApiKey, signIn } from './auth';
import { copyDemoTemplate, launchBerth, type RunningBerth } from './berth-process';
import { seedSyntheticRegistry, type SyntheticRegistry } from './synthetic-registry';

export interface BerthServer {
  url: string;
  dataDir: string;
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
    let server: RunningBerth;
    try {
      if (syntheticRegistry) await seedSyntheticRegistry(dataDir, syntheticRegistry);
      else if (serverEnv.BERTH_DEMO !== '0') await copyDemoTemplate(dataDir);
      server = await launchBerth(dataDir, serverEnv);
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
    try {
      await use({ url: server.url, dataDir });
    } finally {
      await server.stop();
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
