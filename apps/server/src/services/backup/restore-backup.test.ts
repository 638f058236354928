import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { createFilesystemDriver } from '@berth/store';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { createProject } from '../../testing/projects.js';
import { pushBlob } from '../../testing/registry-client.js';
import { startTestServer } from '../../testing/test-server.js';
import { generateRootKey, rootKeyId } from '../projects/keyring.js';
import { BackupError } from './backup-format.js';
import { resolveBackup } from './backup-target.js';
import { findPostgresTool } from './postgres-dump.js';
import { restoreBackup, type RestoreOptions } from './restore-backup.js';
import { takeBackup } from './take-backup.js';

/*
 * What `berth restore` refuses before writing anything, and how it undoes a restore that fails
 * after writing, on real SQLite files, blob directories and PostgreSQL databases.
 */
const postgresUrl = inject('postgresUrl');
const noPgDump = (() => {
  try {
    findPostgresTool('pg_dump');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
})();

/** Every table, view, sequence and function in a database's schema: "nothing written" made checkable. */
async function schemaObjects(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relkind::text || ' ' || c.relname AS name FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
       UNION ALL
       SELECT 'f ' || p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
       ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/** Files under `dir`, relative; [] when it does not exist. */
function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

interface Engine {
  name: string;
  skip: string | null;
  /** The installation's database settings, and the database a restore goes into. */
  env(): Promise<Record<string, string>>;
  target(): Promise<{ url: string; shown: string } | null>;
}

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: process.env.BERTH_TEST_ENGINE === 'postgres' ? 'SQLite only' : null,
    env: () => Promise.resolve({}),
    target: () => Promise.resolve(null),
  },
  {
    name: 'PostgreSQL',
    skip: !postgresUrl ? 'no PostgreSQL' : noPgDump,
    async env() {
      const database = await createTestDatabase(postgresUrl!);
      drops.push(database.drop);
      return { BERTH_DATABASE_URL: database.url };
    },
    async target() {
      const database = await createTestDatabase(postgresUrl!, { empty: true });
      drops.push(database.drop);
      return { url: database.url, shown: 'the target database' };
    },
  },
];
const drops: (() => Promise<void>)[] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-restore-checks-'));

afterAll(async () => {
  for (const drop of drops.splice(0)) await drop().catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(engines)('restore of a $name backup', (engine) => {
  const keyA = generateRootKey();
  const keyB = generateRootKey();
  let backupDir: string;
  let dataDir: string;

  /**
   * An installation whose project data key is wrapped by root key A and whose namespace key
   * (image data encrypted at rest) by root key B: A was the only key when the project was
   * made, B became the active one before the first push.
   */
  beforeAll(async () => {
    if (engine.skip) return;
    const env = await engine.env();
    const keyFile = path.join(work, `${engine.name}-root.key`);
    fs.writeFileSync(keyFile, `${keyA.toString('base64')}\n`, { mode: 0o600 });
    const first = await startTestServer({ env: { ...env, BERTH_ROOT_KEY_FILE: keyFile } });
    dataDir = first.dataDir;
    await createProject(first, 'keyed');
    await first.close();
    fs.writeFileSync(keyFile, `${keyB.toString('base64')}\n${keyA.toString('base64')}\n`);
    const second = await startTestServer({
      dataDir,
      env: { ...env, BERTH_ROOT_KEY_FILE: keyFile },
    });
    await second.api().post(apiPaths.namespaces()).send({ name: 'sealed', region: 'local' });
    await pushBlob(second, 'sealed/app', randomBytes(5000));
    const projectKeys = await second.store.db.selectFrom('projects').select('key_id').execute();
    const namespaceKeys = await second.store.db
      .selectFrom('namespace_keys')
      .select('root_key_id')
      .execute();
    await second.close();
    // The installation is as described: the project under A, the namespace under B.
    expect(projectKeys.map((k) => k.key_id)).toEqual([rootKeyId(keyA)]);
    expect(namespaceKeys.map((k) => k.root_key_id)).toEqual([rootKeyId(keyB)]);
    const taken = await takeBackup({
      databaseFile: path.join(dataDir, 'berth.db'),
      databaseUrl: env.BERTH_DATABASE_URL ?? null,
      blobs: createFilesystemDriver(dataDir),
      target: path.join(work, `${engine.name}-backups`),
    });
    backupDir = taken.dir;
    expect(taken.manifest.rootKeyIds).toEqual([rootKeyId(keyA), rootKeyId(keyB)].sort());
  }, 120_000);

  afterAll(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const restoreInto = (
    restoredDir: string,
    database: { url: string; shown: string } | null,
    keys: Buffer[],
    extra: Partial<RestoreOptions> = {},
  ) =>
    restoreBackup({
      backup: resolveBackup(backupDir),
      dataDir: restoredDir,
      blobs: { driver: createFilesystemDriver(restoredDir), shown: restoredDir, local: true },
      database,
      rootKeys: { text: keys.map((k) => k.toString('base64')).join('\n'), source: 'the key file' },
      ...extra,
    });

  it.skipIf(engine.skip !== null)(
    'refuses, before writing anything, when the root key of the namespace keys is missing',
    async () => {
      const database = await engine.target();
      const restoredDir = path.join(work, `${engine.name}-refused`);
      fs.mkdirSync(restoredDir);
      const before = database ? await schemaObjects(database.url) : [];
      // The project's key (A) is there; the namespace's (B) is not.
      const refused = restoreInto(restoredDir, database, [keyA]);
      await expect(refused).rejects.toThrow(BackupError);
      await expect(refused).rejects.toThrow(`needs root key id ${rootKeyId(keyB)}`);
      expect(listing(restoredDir)).toEqual([]);
      if (database) expect(await schemaObjects(database.url)).toEqual(before);
      // And the other way round: the project's key missing.
      await expect(restoreInto(restoredDir, database, [keyB])).rejects.toThrow(
        `needs root key id ${rootKeyId(keyA)}`,
      );
      expect(listing(restoredDir)).toEqual([]);
      if (database) expect(await schemaObjects(database.url)).toEqual(before);

      // With both keys it restores.
      const restored = await restoreInto(restoredDir, database, [keyB, keyA]);
      expect(restored.blobs).toBeGreaterThan(0);
    },
    120_000,
  );

  it.skipIf(engine.skip !== null || engine.name !== 'PostgreSQL')(
    'undoes a restore whose last step (the migrations) fails: the database has no tables again, and says so',
    async () => {
      const database = (await engine.target())!;
      const restoredDir = path.join(work, `${engine.name}-failed-migration`);
      const before = await schemaObjects(database.url);
      expect(before).toEqual([]);
      const failed = restoreInto(restoredDir, database, [keyA, keyB], {
        migratePostgres: () => Promise.reject(new Error('injected: a migration failed')),
      });
      await expect(failed).rejects.toThrow(/injected: a migration failed; the restore was undone/);
      await expect(failed).rejects.toThrow(
        /the tables created in the target database were dropped/,
      );
      expect(await schemaObjects(database.url)).toEqual(before);
      expect(fs.existsSync(restoredDir)).toBe(false);

      // Nothing is left in the way (not even the audit log's trigger function): it restores.
      const restored = await restoreInto(restoredDir, database, [keyA, keyB]);
      expect(restored.rows).toBeGreaterThan(0);
      expect(await schemaObjects(database.url)).toContain('r namespace_keys');
    },
    120_000,
  );
});
