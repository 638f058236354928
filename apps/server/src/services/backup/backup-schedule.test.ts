import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import request from 'supertest';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { apiPaths, type BackupStatus } from '@berth/contract';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { seedSmallRegistry } from '../../testing/fixtures.js';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { loadConfig } from '../../config.js';
import { generateRootKey } from '../projects/keyring.js';
import { BACKUP_LEASE_MS } from './backup-service.js';
import { listBackups, resolveBackup } from './backup-target.js';
import { verifyBackup } from './verify-backup.js';

/*
 * Scheduled backups: the daily slot runs once across processes, each run is recorded and
 * audited, old backups are pruned without losing a blob a kept one needs, and the API says
 * what happened. The runs are the real `berth backup` command (the built CLI).
 */
const DAY = 86_400_000;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await stopServerProcesses();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.skipIf(process.env.BERTH_TEST_ENGINE === 'postgres')('scheduled backups', () => {
  it('runs the daily backup exactly once with two server processes on one database', async () => {
    const seeder = await startTestServer();
    const dataDir = seeder.dataDir;
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    await seedSmallRegistry(seeder);
    await seeder.close();
    const target = path.join(tempDir('berth-scheduled-'), 'backups');
    // 00:00 UTC: today's slot is already due when the processes start.
    const env = { BERTH_BACKUP_TARGET: target, BERTH_BACKUP_AT: '00:00', BERTH_BACKUP_KEEP: '3' };
    const first = startServerProcess(dataDir, env);
    const second = startServerProcess(dataDir, env);
    await until(() => [first, second].every((p) => p.listening()), 'both servers to listen');

    const db = new SqliteDatabase(path.join(dataDir, 'berth.db'), { readonly: true });
    cleanups.push(() => {
      db.close();
    });
    const runs = () =>
      db.prepare('SELECT state, backup_id, error FROM backup_runs').all() as {
        state: string;
        backup_id: string | null;
        error: string | null;
      }[];
    await until(() => runs().some((r) => r.state !== 'running'), 'the scheduled backup', 60_000);
    // Many more ticks of each process (every 50 ms): nothing else may run.
    await new Promise((r) => setTimeout(r, 1500));
    const all = runs();
    expect(all, JSON.stringify(all)).toHaveLength(1);
    expect(all[0]!.state).toBe('succeeded');
    const backups = listBackups(target);
    expect(backups.map((b) => b.manifest.id)).toEqual([all[0]!.backup_id]);
    expect((await verifyBackup(backups[0]!)).ok).toBe(true);
    const audited = db
      .prepare(`SELECT outcome, actor FROM audit_events WHERE action = 'backup.run'`)
      .all();
    expect(audited).toEqual([{ outcome: 'success', actor: 'system:backup-schedule' }]);
  }, 120_000);

  it('records runs, prunes to the number kept without losing a needed blob, and reports failures', async () => {
    const target = path.join(tempDir('berth-pruned-'), 'backups');
    const server: TestServer = await startTestServer({
      env: { BERTH_BACKUP_TARGET: target, BERTH_BACKUP_AT: '03:30', BERTH_BACKUP_KEEP: '2' },
    });
    cleanups.push(() => server.stop());
    await seedSmallRegistry(server);
    const status = async () =>
      (await server.api().get(apiPaths.backups()).expect(200)).body as BackupStatus;
    expect(await status()).toMatchObject({
      schedule: { target, keep: 2, at: '03:30' },
      lastSuccess: null,
      runs: [],
    });

    // A blob only the first backup holds: an upload no manifest used, which GC then removes.
    const bytes = randomBytes(2048);
    const loose = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await server.blobs.put(loose, bytes);
    await server.store.db
      .insertInto('blobs')
      .values({ digest: loose, size: bytes.length, media_type: null, created_at: 0, deleting: 0 })
      .execute();

    expect(await server.services.backups.tick()).toBe(true);
    // The same slot again: nothing to do.
    expect(await server.services.backups.tick()).toBe(false);
    const firstId = (await status()).lastSuccess!.backupId!;
    expect(resolveBackup(target).manifest.blobs.map((b) => b.digest)).toContain(loose);
    await server.store.db.deleteFrom('blobs').where('digest', '=', loose).execute();
    await server.blobs.delete(loose);
    const looseKept = resolveBackup(target).manifest.blobs.find((b) => b.digest === loose)!;
    const keptFile = path.join(
      target,
      'blobs',
      'sha256',
      looseKept.sha256.slice(0, 2),
      looseKept.sha256,
    );
    expect(fs.existsSync(keptFile)).toBe(true);

    for (let day = 1; day <= 2; day++) {
      server.clock.advance(DAY);
      expect(await server.services.backups.tick()).toBe(true);
    }
    const kept = listBackups(target);
    expect(kept.map((b) => b.manifest.id)).not.toContain(firstId);
    expect(kept).toHaveLength(2);
    for (const backup of kept) expect((await verifyBackup(backup)).problems).toEqual([]);
    expect(fs.existsSync(keptFile)).toBe(false);
    const afterPrune = await status();
    expect(afterPrune.runs).toHaveLength(3);
    expect(afterPrune.runs[0]).toMatchObject({ state: 'succeeded', pruned: 1 });
    expect(afterPrune.lastSuccess!.sizeBytes).toBeGreaterThan(0);
  }, 120_000);

  it('fails a run whose process died once its lease ends, in words, and audits it', async () => {
    const target = path.join(tempDir('berth-dead-'), 'backups');
    // No schedule: a run left by a process that died must be failed even when the schedule
    // was removed since.
    const server = await startTestServer();
    cleanups.push(() => server.stop());
    const started = server.clock.now;
    // What a process that died mid-run leaves: a running row whose lease it stopped renewing.
    await server.store.db
      .withTables<{
        backup_runs: {
          id: string;
          started_at: number;
          state: string;
          target: string;
          owner: string;
          lease_until: number;
        };
      }>()
      .insertInto('backup_runs')
      .values({
        id: 'dead-run',
        started_at: started,
        state: 'running',
        target,
        owner: 'old-host:4242:abcd1234',
        lease_until: started + BACKUP_LEASE_MS,
      })
      .execute();
    const status = async () =>
      (await server.api().get(apiPaths.backups()).expect(200)).body as BackupStatus;

    // Within the lease the run may still be alive somewhere: it stays running.
    server.clock.advance(BACKUP_LEASE_MS - 1000);
    await server.services.backups.tick();
    expect((await status()).runs).toMatchObject([{ id: 'dead-run', state: 'running' }]);

    server.clock.advance(2000);
    await server.services.backups.tick();
    await server.services.backups.tick();
    const [run] = (await status()).runs;
    expect(run).toMatchObject({ id: 'dead-run', state: 'failed' });
    expect(run!.finishedAt).not.toBeNull();
    expect(run!.error).toContain('old-host:4242:abcd1234');
    expect(run!.error).toContain('stopped before it finished');
    const audit = await server.store.db
      .selectFrom('audit_events')
      .select(['outcome', 'target'])
      .where('action', '=', 'backup.run')
      .execute();
    expect(audit).toEqual([{ outcome: 'failure', target }]);
  }, 60_000);

  it('tells a failure in words, audits it, and keeps the API to administrators', async () => {
    const blocked = path.join(tempDir('berth-blocked-'), 'a-file');
    fs.writeFileSync(blocked, 'not a directory');
    const server = await startTestServer({ env: { BERTH_BACKUP_TARGET: blocked } });
    cleanups.push(() => server.stop());
    expect(await server.services.backups.tick()).toBe(true);
    const body = (await server.api().get(apiPaths.backups()).expect(200)).body as BackupStatus;
    expect(body.lastSuccess).toBeNull();
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ state: 'failed' });
    expect(body.runs[0]!.error).toContain('is not a directory');
    const audit = await server.store.db
      .selectFrom('audit_events')
      .select(['outcome', 'target'])
      .where('action', '=', 'backup.run')
      .execute();
    expect(audit).toEqual([{ outcome: 'failure', target: blocked }]);
    await request(server.url).get(apiPaths.backups()).expect(401);
  }, 60_000);
});

const postgresUrl = inject('postgresUrl');

describe.skipIf(!postgresUrl)('scheduled backups on PostgreSQL', () => {
  it('dumps the database with pg_dump on schedule, and the backup verifies', async () => {
    const database = await createTestDatabase(postgresUrl!);
    cleanups.push(database.drop);
    const dir = tempDir('berth-scheduled-pg-');
    const keyFile = path.join(dir, 'root.key');
    fs.writeFileSync(keyFile, `${generateRootKey().toString('base64')}\n`, { mode: 0o600 });
    const target = path.join(dir, 'backups');
    const server = await startTestServer({
      env: {
        BERTH_DATABASE_URL: database.url,
        BERTH_ROOT_KEY_FILE: keyFile,
        BERTH_BACKUP_TARGET: target,
        BERTH_BACKUP_AT: '03:30',
      },
    });
    cleanups.push(() => server.stop());
    await seedSmallRegistry(server);
    expect(await server.services.backups.tick()).toBe(true);
    const body = (await server.api().get(apiPaths.backups()).expect(200)).body as BackupStatus;
    expect(body.unavailable).toBeNull();
    expect(body.runs[0], JSON.stringify(body.runs)).toMatchObject({ state: 'succeeded' });
    const backup = resolveBackup(target);
    expect(backup.manifest.engine).toBe('postgres');
    expect(backup.manifest.id).toBe(body.lastSuccess!.backupId);
    expect((await verifyBackup(backup)).problems).toEqual([]);
  }, 120_000);
});

describe('scheduled backup settings', () => {
  it('takes a directory or an S3 address, and refuses a malformed S3 address in words', () => {
    const dataDir = tempDir('berth-settings-');
    expect(() =>
      loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_BACKUP_TARGET: 's3://b/p?endpoint=ftp://x' }),
    ).toThrow(/BERTH_BACKUP_TARGET.*"b" is not a bucket name/s);
    expect(() =>
      loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_BACKUP_TARGET: 's3://u:p@backups/p' }),
    ).toThrow(/credentials do not belong in the address/);
    expect(
      loadConfig({
        BERTH_DATA_DIR: dataDir,
        BERTH_BACKUP_TARGET: 'S3://backups/berth?endpoint=http://127.0.0.1:7480',
      }).backup,
    ).toMatchObject({ target: 's3://backups/berth?endpoint=http://127.0.0.1:7480' });
    expect(
      loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_BACKUP_TARGET: path.join(dataDir, 'b') }).backup,
    ).toMatchObject({ target: path.join(dataDir, 'b') });
  });
});
