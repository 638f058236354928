import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Database } from '@berth/store';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';

export interface TestServer extends RunningServer {
  url: string;
  dataDir: string;
  clock: { now: number; advance(ms: number): void };
  /** Every row of every table, ordered: equal dumps mean nothing changed. */
  dump(): Promise<string>;
  blobFiles(): string[];
  stop(): Promise<void>;
}

const TABLES: (keyof Database)[] = [
  'regions',
  'namespaces',
  'repositories',
  'manifests',
  'manifest_children',
  'tags',
  'blobs',
  'manifest_blobs',
  'repository_blobs',
  'trash_entries',
  'trash_tags',
  'audit_events',
  'retention_policies',
  'retention_previews',
  'retention_runs',
  'projects',
  'project_workloads',
  'project_secrets',
  'project_config_maps',
];

/** A real server on a real socket with its own SQLite file and blob directory. */
export async function startTestServer(
  opts: {
    demo?: boolean;
    regions?: string;
    env?: Record<string, string>;
    /** Start on the data directory of a server that was closed (a restart). */
    dataDir?: string;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const clock = {
    now: Date.UTC(2026, 10, 1, 12, 0, 0),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    BERTH_PORT: '0',
    BERTH_HOST: '127.0.0.1',
    BERTH_DEMO: opts.demo ? '1' : '0',
    BERTH_REGIONS: opts.regions ?? 'local,eu-west',
    BERTH_CONSOLE_DIR: path.join(dataDir, 'no-console'),
    // The port is only known after listening; image pointers in tests use this host.
    BERTH_REGISTRY_HOSTS: 'berth.test:5000',
    ...opts.env,
  });
  const running = await startServer(config, {
    // BERTH_TEST_LOG=debug shows a test server's log when a test needs explaining.
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    clock: () => clock.now,
  });
  const blobRoot = path.join(dataDir, 'blobs');
  return {
    ...running,
    url: `http://127.0.0.1:${running.port}`,
    dataDir,
    clock,
    async dump() {
      const parts: Record<string, unknown[]> = {};
      for (const table of TABLES) {
        parts[table] = await running.store.db.selectFrom(table).selectAll().execute();
      }
      return JSON.stringify(parts);
    },
    blobFiles() {
      if (!fs.existsSync(blobRoot)) return [];
      return (fs.readdirSync(blobRoot, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(blobRoot, f)).isFile())
        .sort();
    },
    async stop() {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
