import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type DestinationStream } from 'pino';
import type { Database } from '@berth/store';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { inject } from 'vitest';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { userPrincipal } from '../services/identity/identity-service.js';
import { generateRootKey } from '../services/projects/keyring.js';

export interface TestServer extends RunningServer {
  url: string;
  /** A read-write API key of the admin (`ADMIN`): what most tests call the API with. */
  adminKey: string;
  /** A supertest agent that sends the admin key with every request, /api and /v2 alike. */
  api(): ReturnType<typeof request.agent>;
  dataDir: string;
  /** The server's PostgreSQL database (BERTH_TEST_ENGINE=postgres), or null: SQLite. */
  databaseUrl: string | null;
  clock: { now: number; advance(ms: number): void };
  /** Every row of every table but sessions, ordered: equal dumps mean nothing changed. */
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
  'users',
  'api_keys',
  'namespace_members',
  'project_members',
  'advisories',
  'advisory_packages',
  'advisory_imports',
];

export const ADMIN = { username: 'admin', password: 'correct-horse-battery-staple' };

/**
 * BERTH_TEST_ENGINE=postgres runs the API tests on PostgreSQL: each data directory gets a
 * database of its own on the run's cluster (see @berth/store/testing/engines), remembered in
 * the data directory so that a restart on it finds the same database.
 */
async function testDatabaseFor(dataDir: string): Promise<string | null> {
  if (process.env.BERTH_TEST_ENGINE !== 'postgres') return null;
  const file = path.join(dataDir, 'test-database-url');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  const adminUrl = inject('postgresUrl');
  if (!adminUrl) throw new Error('BERTH_TEST_ENGINE=postgres, but this run started no PostgreSQL');
  const { url } = await createTestDatabase(adminUrl);
  fs.writeFileSync(file, url);
  // On a shared database the root key must exist before the start (config.ts): made here, where
  // a first start on SQLite would have made it.
  const keyFile = path.join(dataDir, 'root.key');
  if (!fs.existsSync(keyFile)) {
    fs.writeFileSync(keyFile, `${generateRootKey().toString('base64')}\n`, { mode: 0o600 });
  }
  return url;
}

/** A real server on a real socket with its own database and blob directory. */
export async function startTestServer(
  opts: {
    demo?: boolean;
    regions?: string;
    env?: Record<string, string>;
    /** Start on the data directory of a server that was closed (a restart). */
    dataDir?: string;
    /** Receives the server's log lines at every level (e.g. to check what is never logged). */
    logStream?: DestinationStream;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const databaseUrl = await testDatabaseFor(dataDir);
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
    BERTH_ADMIN_USERNAME: ADMIN.username,
    BERTH_ADMIN_PASSWORD: ADMIN.password,
    ...(databaseUrl ? { BERTH_DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  });
  const running = await startServer(config, {
    // BERTH_TEST_LOG=debug shows a test server's log when a test needs explaining.
    logger: opts.logStream
      ? pino({ level: 'trace' }, opts.logStream)
      : pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    clock: () => clock.now,
  });
  const blobRoot = path.join(dataDir, 'blobs');
  const url = `http://127.0.0.1:${running.port}`;
  // One admin key per data directory: a restart reuses it, so it changes nothing.
  const keyFile = path.join(dataDir, 'test-admin.key');
  const admin = await running.store.users.find(ADMIN.username);
  let adminKey = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : '';
  if (!adminKey && admin) {
    adminKey = (
      await running.services.identity.createKey(
        userPrincipal(admin),
        { name: `tests-${randomUUID().slice(0, 8)}`, access: 'read-write' },
        async () => true,
      )
    ).secret;
    fs.writeFileSync(keyFile, adminKey);
  }
  return {
    ...running,
    url,
    adminKey,
    api: () => request.agent(url).set('Authorization', `Bearer ${adminKey}`),
    dataDir,
    databaseUrl: config.databaseUrl,
    clock,
    async dump() {
      const parts: Record<string, unknown[]> = {};
      for (const table of TABLES) {
        const rows = await running.store.db.selectFrom(table).selectAll().execute();
        // Using a key or signing in is not a change to the data: leave out when it happened.
        // In a fixed order: PostgreSQL returns rows in the order their versions were written.
        parts[table] = rows
          .map((row) => {
            const {
              last_used_at: _used,
              last_login_at: _login,
              ...rest
            } = row as Record<string, unknown>;
            return { row: rest, text: JSON.stringify(rest) };
          })
          .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
          .map((r) => r.row);
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
