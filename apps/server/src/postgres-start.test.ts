import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { ConfigError, checkConfig } from './config.js';
import { signIn } from './testing/accounts.js';
import {
  type ServerProcess,
  startServerProcess,
  stopServerProcesses,
  until,
} from './testing/server-processes.js';

/*
 * Berth on PostgreSQL as an operator starts it: real `berth` processes, each with a data
 * directory of its own, sharing one database and the root key from configuration.
 */
const adminUrl = inject('postgresUrl');
const PASSWORD = 'correct-horse-battery-staple';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await stopServerProcesses();
  for (const clean of cleanups.splice(0)) await clean();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pg-start-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.skipIf(adminUrl === null)('Berth on PostgreSQL', () => {
  it('three processes starting together on an empty database do the first start once', async () => {
    const database = await createTestDatabase(adminUrl!, { empty: true });
    cleanups.push(() => database.drop());
    const env = {
      BERTH_DATABASE_URL: database.url,
      BERTH_ROOT_KEY: randomBytes(32).toString('base64'),
      BERTH_ADMIN_PASSWORD: PASSWORD,
      BERTH_DEMO: '1',
    };
    const processes: ServerProcess[] = [0, 1, 2].map(() => startServerProcess(tempDir(), env));
    await until(() => processes.every((p) => p.listening()), 'all three listening', 60_000).catch(
      (error: unknown) => {
        throw new Error(
          `${String(error)}; their logs:\n${processes.map((p) => p.log.join('')).join('\n')}`,
        );
      },
    );

    const counts = [];
    const users = [];
    for (const p of processes) {
      const session = await signIn(p.url(), 'admin', PASSWORD);
      const res = await session.agent.get(apiPaths.namespaces()).expect(200);
      counts.push((res.body as { items: unknown[] }).items.length);
      const listed = await session.agent.get(apiPaths.users()).expect(200);
      users.push((listed.body as { items: unknown[] }).items.length);
    }
    // The demo once: each process sees the same namespaces, and as many as one seeding makes.
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThan(0);
    expect(users).toEqual([1, 1, 1]);
    // Nothing of the database lives in the data directories.
    for (const p of processes) {
      const dataDir = /"dataDir":"([^"]+)"/.exec(p.log.join(''))?.[1];
      expect(dataDir && fs.existsSync(path.join(dataDir, 'berth.db'))).toBe(false);
    }
  }, 120_000);

  it('refuses to start on a database that is missing or unreachable, in one sentence each', async () => {
    const missing = new URL(adminUrl!);
    missing.pathname = '/berth_missing';
    const unreachable = new URL(adminUrl!);
    unreachable.port = '1';
    for (const [url, sentence] of [
      [
        missing,
        /^BERTH_DATABASE_URL: .*berth_missing: the database does not exist; create it first \(createdb\)$/,
      ],
      [unreachable, /^BERTH_DATABASE_URL: .*: cannot reach the server \(ECONNREFUSED\)$/],
    ] as const) {
      const error = await checkConfig({
        BERTH_DATA_DIR: tempDir(),
        BERTH_PORT: '0',
        BERTH_HOST: '127.0.0.1',
        BERTH_DATABASE_URL: url.toString(),
        BERTH_ROOT_KEY: randomBytes(32).toString('base64'),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(sentence)]);
    }
    const keyless = await checkConfig({
      BERTH_DATA_DIR: tempDir(),
      BERTH_PORT: '0',
      BERTH_HOST: '127.0.0.1',
      BERTH_DATABASE_URL: adminUrl!,
    }).catch((e: unknown) => e);
    expect((keyless as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^BERTH_ROOT_KEY: with BERTH_DATABASE_URL every Berth process needs the same root key/,
      ),
    ]);
    const bad = await checkConfig({
      BERTH_DATA_DIR: tempDir(),
      BERTH_PORT: '0',
      BERTH_DATABASE_URL: 'sqlite:///var/lib/berth.db',
      BERTH_ROOT_KEY: randomBytes(32).toString('base64'),
    }).catch((e: unknown) => e);
    expect((bad as ConfigError).problems).toEqual([
      expect.stringMatching(/^BERTH_DATABASE_URL: must start with postgres:\/\//),
    ]);
  });
});
