import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import SqliteDatabase from 'better-sqlite3';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type BackupStatus } from '@berth/contract';
import { createFilesystemDriver, parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { seedSmallRegistry } from '../../testing/fixtures.js';
import { runServerCli } from '../../testing/server-cli.js';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { PRUNE_MARKER_PREFIX } from './prune-fence.js';
import { pruneS3Backups } from './prune-s3-backups.js';
import { restoreBackup } from './restore-backup.js';
import {
  listS3Backups,
  openS3Target,
  resolveS3Backup,
  s3BlobKey,
  s3PartialKey,
  type S3Target,
} from './s3-backup-target.js';
import { takeBackup } from './take-backup.js';
import { verifyBackup } from './verify-backup.js';

/*
 * Backups into a real S3 server (Ceph RGW): scheduled runs from two server processes, pruning
 * in S3 (paginated listings), and multipart uploads of large blobs. Run under
 * `flock /tmp/berth-ceph.lock` (Ceph's start is heavy on a shared machine).
 */
const BUCKET = 'berth-backups';
const MiB = 1024 * 1024;
const unavailable =
  cephUnavailable() ??
  (process.env.BERTH_TEST_ENGINE === 'postgres' ? 'the source is SQLite' : null);

describe.skipIf(unavailable !== null)(`backups into S3 (${unavailable ?? 'Ceph RGW'})`, () => {
  let rgw: CephRgw;
  let s3: S3Client;
  let work: string;
  let source: TestServer;
  const cleanups: (() => Promise<void> | void)[] = [];

  const address = (prefix: string) => `s3://${BUCKET}/${prefix}?endpoint=${rgw.endpoint}`;
  const credentials = () => ({
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
  });
  const newClient = () =>
    createS3Client(parseS3Location(address('')), {
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
    });
  const target = (prefix: string, extra: Partial<S3Target> = {}): S3Target => ({
    client: s3,
    bucket: BUCKET,
    prefix: `${prefix}/`,
    shown: `s3://${BUCKET}/${prefix}/`,
    ...extra,
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** A blob stored and recorded, as an upload nothing referenced leaves it (plaintext). */
  async function looseBlob(bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await createFilesystemDriver(source.dataDir).put(digest, bytes);
    await source.store.db
      .insertInto('blobs')
      .values({ digest, size: bytes.length, media_type: null, created_at: 0, deleting: 0 })
      .execute();
    return digest;
  }

  async function dropBlob(digest: string): Promise<void> {
    await source.store.db.deleteFrom('blobs').where('digest', '=', digest).execute();
    await createFilesystemDriver(source.dataDir).delete(digest);
  }

  const backUp = (t: S3Target) =>
    takeBackup({
      databaseFile: path.join(source.dataDir, 'berth.db'),
      blobs: createFilesystemDriver(source.dataDir),
      target: t,
    });

  beforeAll(async () => {
    rgw = await startCephRgw();
    process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
    s3 = newClient();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-s3-backups-'));
    source = await startTestServer();
    await seedSmallRegistry(source);
  }, 300_000);

  afterAll(async () => {
    await source?.stop();
    s3?.destroy();
    await rgw?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  afterEach(async () => {
    await stopServerProcesses();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('runs the scheduled backup into S3 exactly once with two server processes, audited and reported, and it restores', async () => {
    const seeder = await startTestServer();
    const dataDir = seeder.dataDir;
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    await seedSmallRegistry(seeder);
    await seeder.close();
    const scheduled = address('scheduled');
    // 00:00 UTC: today's slot is already due when the processes start.
    const env = {
      ...credentials(),
      BERTH_BACKUP_TARGET: scheduled,
      BERTH_BACKUP_AT: '00:00',
      BERTH_BACKUP_KEEP: '3',
    };
    const first = startServerProcess(dataDir, env);
    const second = startServerProcess(dataDir, env);
    await until(() => [first, second].every((p) => p.listening()), 'both servers to listen');

    const db = new SqliteDatabase(path.join(dataDir, 'berth.db'), { readonly: true });
    cleanups.push(() => {
      db.close();
    });
    const runs = () =>
      db.prepare('SELECT state, backup_id, target, error FROM backup_runs').all() as {
        state: string;
        backup_id: string | null;
        target: string;
        error: string | null;
      }[];
    await until(() => runs().some((r) => r.state !== 'running'), 'the scheduled backup', 90_000);
    // Many more ticks of each process (every 50 ms): nothing else may run.
    await new Promise((r) => setTimeout(r, 1500));
    const all = runs();
    expect(all, JSON.stringify(all)).toHaveLength(1);
    expect(all[0]).toMatchObject({ state: 'succeeded', target: scheduled });
    const audited = db
      .prepare(`SELECT outcome, actor, target FROM audit_events WHERE action = 'backup.run'`)
      .all();
    expect(audited).toEqual([
      { outcome: 'success', actor: 'system:backup-schedule', target: scheduled },
    ]);

    const adminKey = fs.readFileSync(path.join(dataDir, 'test-admin.key'), 'utf8');
    const status = (
      await request(second.url())
        .get(apiPaths.backups())
        .set('Authorization', `Bearer ${adminKey}`)
        .expect(200)
    ).body as BackupStatus;
    expect(status.schedule).toEqual({ target: scheduled, keep: 3, at: '00:00' });
    expect(status.lastSuccess?.backupId).toBe(all[0]!.backup_id);

    const kept = await listS3Backups(target('scheduled'));
    expect(kept.map((b) => b.manifest.id)).toEqual([all[0]!.backup_id]);
    // The run is over: its partial marker is gone.
    expect((await keysUnder('scheduled/')).filter((k) => k.includes('.partial-'))).toEqual([]);
    expect((await verifyBackup(kept[0]!)).problems).toEqual([]);
    await stopServerProcesses();

    const restoredDir = path.join(work, 'restored-from-schedule');
    const restored = await runServerCli(
      'restore',
      [scheduled, '--data-dir', restoredDir, '--root-key-file', path.join(dataDir, 'root.key')],
      credentials(),
    );
    expect(restored.code, restored.stderr).toBe(0);
    fs.copyFileSync(path.join(dataDir, 'test-admin.key'), path.join(restoredDir, 'test-admin.key'));
    const copy = await startTestServer({
      dataDir: restoredDir,
      env: { BERTH_ROOT_KEY_FILE: path.join(dataDir, 'root.key') },
    });
    cleanups.push(() => copy.stop());
    const names = (body: { items: { name: string }[] }) => body.items.map((n) => n.name).sort();
    const namespaces = (
      db.prepare('SELECT name FROM namespaces ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name);
    expect(namespaces.length).toBeGreaterThan(0);
    expect(names((await copy.api().get(apiPaths.namespaces()).expect(200)).body)).toEqual(
      namespaces,
    );
    const restoredDb = new SqliteDatabase(path.join(restoredDir, 'berth.db'), { readonly: true });
    try {
      for (const table of ['manifests', 'blobs', 'tags']) {
        const count = (t: SqliteDatabase.Database) =>
          (t.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        expect(count(restoredDb), table).toBe(kept[0]!.manifest.counts[table]);
        expect(count(restoredDb), table).toBe(count(db));
      }
    } finally {
      restoredDb.close();
    }
  }, 240_000);

  it('prunes an S3 target to the newest backups: blobs a kept backup needs stay, the others go, listings paginated', async () => {
    // Two keys a page: every listing of the target takes several pages.
    const t = target('pruned', { pageSize: 2 });
    await openS3Target(t);
    const only1 = await looseBlob(randomBytes(3000));
    const b1 = await backUp(t);
    await dropBlob(only1);
    const shared = await looseBlob(randomBytes(3000));
    const b2 = await backUp(t);
    const newest = await looseBlob(randomBytes(3000));
    const b3 = await backUp(t);
    await dropBlob(shared);
    const b4 = await backUp(t);
    const keyOf = (digest: string) => `pruned/${s3BlobKey(digest.slice('sha256:'.length))}`;
    expect(b1.manifest.blobs.map((b) => b.digest)).toContain(only1);
    expect(b3.manifest.blobs.map((b) => b.digest)).toContain(shared);
    expect(b4.manifest.blobs.map((b) => b.digest)).not.toContain(shared);
    const blobsBefore = (await keysUnder('pruned/blobs/')).length;
    expect(blobsBefore).toBeGreaterThan(4);

    // What a prune that died half-way leaves: a backup's keys without its manifest.
    const leftover = 'backup-20200101T000000000Z-abcdef';
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `pruned/${leftover}/berth.db`,
        Body: Buffer.from('x'),
      }),
    );
    // Another backup being written into the target: blobs are left alone.
    const running = s3PartialKey('someone-else');
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `pruned/${running}`, Body: Buffer.from('x') }),
    );
    const held = await pruneS3Backups(t, 2);
    expect(held).toMatchObject({ backups: 2, blobs: 0, blobsSkipped: true });
    expect((await listS3Backups(t)).map((b) => b.manifest.id)).toEqual([
      b3.manifest.id,
      b4.manifest.id,
    ]);
    expect(await keysUnder('pruned/blobs/')).toHaveLength(blobsBefore);
    expect(await keysUnder(`pruned/${b1.manifest.id}/`)).toEqual([]);
    expect(await keysUnder(`pruned/${b2.manifest.id}/`)).toEqual([]);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `pruned/${running}` }));
    const pruned = await pruneS3Backups(t, 2);
    expect(pruned).toMatchObject({ backups: 0, blobsSkipped: false });
    expect(pruned.blobs).toBe(1);
    const blobs = await keysUnder('pruned/blobs/');
    expect(blobs).not.toContain(keyOf(only1));
    expect(blobs).toContain(keyOf(shared));
    expect(blobs).toContain(keyOf(newest));
    expect(blobs).toHaveLength(blobsBefore - 1);
    expect(await keysUnder(`pruned/${leftover}/`)).toEqual([]);
    for (const backup of await listS3Backups(t)) {
      expect((await verifyBackup(backup)).problems).toEqual([]);
    }

    // The same as an operator runs it, from cron.
    const verified = await runServerCli(
      'backup',
      ['verify', address(`pruned/${b3.manifest.id}`)],
      credentials(),
    );
    expect(verified.code, verified.stderr).toBe(0);
    const again = await runServerCli(
      'backup',
      ['prune', address('pruned'), '--keep', '1', '--output', 'json'],
      credentials(),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ keep: 1, backups: 1, blobs: 1 });
    expect(await keysUnder('pruned/blobs/')).not.toContain(keyOf(shared));
    const noKeep = await runServerCli('backup', ['prune', address('pruned')], credentials());
    expect(noKeep.code).toBe(2);
    expect(noKeep.stderr).toContain('--keep N');
  }, 240_000);

  it("a backup waits while another process's prune deletes blobs in the S3 target; a prune leaves its marker only while it runs", async () => {
    const t = target('fenced');
    await openS3Target(t);
    await backUp(t);
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '-');
    // A prune running in this host's init process (pid 1 lives as long as the machine).
    const running = `fenced/${PRUNE_MARKER_PREFIX}${host}.1.aaaaaaaaaaaa`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: running, Body: Buffer.from('x') }));
    const said: string[] = [];
    let finished = false;
    const backup = takeBackup({
      databaseFile: path.join(source.dataDir, 'berth.db'),
      blobs: createFilesystemDriver(source.dataDir),
      target: t,
      onProgress: (line) => said.push(line),
    }).then((result) => {
      finished = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(finished).toBe(false);
    expect(said).toEqual(['waiting for a prune of the target to finish deleting blobs']);
    // Its own marker is up meanwhile: a prune starting now leaves blobs alone.
    expect((await keysUnder('fenced/.partial-')).length).toBe(1);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: running }));
    const result = await backup;
    expect((await verifyBackup((await listS3Backups(t)).at(-1)!)).problems).toEqual([]);
    expect(result.manifest.blobs.length).toBeGreaterThan(0);

    // A marker of a prune whose process ended is removed by the next prune, which leaves none.
    const dead = `fenced/${PRUNE_MARKER_PREFIX}${host}.999999999.bbbbbbbbbbbb`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: dead, Body: Buffer.from('x') }));
    await pruneS3Backups(t, 1);
    expect(await keysUnder(`fenced/${PRUNE_MARKER_PREFIX}`)).toEqual([]);
    expect(await keysUnder('fenced/.partial-')).toEqual([]);
  }, 120_000);

  it('uploads a blob above the threshold in parts, reads it back byte for byte, sends a lost part again, and aborts on a failed part', async () => {
    const big = randomBytes(12 * MiB);
    const digest = await looseBlob(big);
    const sha = digest.slice('sha256:'.length);
    const multipart = { thresholdBytes: 5 * MiB, partBytes: 5 * MiB };
    const t = target('multipart', { multipart });
    await openS3Target(t);
    const taken = await backUp(t);
    expect(taken.manifest.blobs.find((b) => b.digest === digest)).toMatchObject({
      size: big.length,
      plaintext: true,
    });
    // 12 MiB in 5 MiB parts: 5 + 5 + 2, and S3 says so in the ETag.
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `multipart/${s3BlobKey(sha)}` }),
    );
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/-3"$/);

    const backup = await resolveS3Backup(target('multipart'));
    expect((await verifyBackup(backup)).problems).toEqual([]);
    const restoredDir = path.join(work, 'restored-multipart');
    await restoreBackup({
      backup,
      dataDir: restoredDir,
      blobs: { driver: createFilesystemDriver(restoredDir), shown: restoredDir, local: true },
      database: null,
      rootKeys: {
        text: fs.readFileSync(path.join(source.dataDir, 'root.key'), 'utf8'),
        source: 'root.key',
      },
    });
    const back = await createFilesystemDriver(restoredDir).get(digest);
    const chunks: Buffer[] = [];
    for await (const chunk of back!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    // The second part fails every time it is sent: the upload is aborted, nothing is left.
    const failing = newClient();
    cleanups.push(() => failing.destroy());
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number };
        if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2) {
          throw new Error('injected: the connection dropped during part 2');
        }
        return next(args);
      },
      { step: 'initialize', name: 'failPartTwo' },
    );
    const broken = target('multipart-failing', { client: failing, multipart });
    await openS3Target(broken);
    await expect(backUp(broken)).rejects.toThrow(/injected: the connection dropped/);
    const uploads = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'multipart-failing/' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(await keysUnder(`multipart-failing/${s3BlobKey(sha)}`)).toEqual([]);
    // No backup, and no marker saying one is being written.
    expect((await keysUnder('multipart-failing/')).filter((k) => !k.includes('/blobs/'))).toEqual([
      'multipart-failing/berth-backup.json',
    ]);

    // A part whose answer is lost once, after its bytes were sent: sent again from the file.
    const flaky = newClient();
    cleanups.push(() => flaky.destroy());
    let lost = 0;
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        const answer = await next(args);
        const input = args.input as { PartNumber?: number };
        if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2 && lost === 0) {
          lost += 1;
          throw new Error('injected: the answer to part 2 was lost');
        }
        return answer;
      },
      { step: 'initialize', name: 'losePartTwoOnce' },
    );
    const retried = target('multipart-retried', { client: flaky, multipart });
    await openS3Target(retried);
    await backUp(retried);
    expect(lost).toBe(1);
    const again = await resolveS3Backup(target('multipart-retried'));
    expect((await verifyBackup(again)).problems).toEqual([]);
    await dropBlob(digest);
  }, 240_000);
});
