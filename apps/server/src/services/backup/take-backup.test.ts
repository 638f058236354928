import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BlobDriver, createFilesystemDriver } from '@berth/store';
import { seedSmallRegistry } from '../../testing/fixtures.js';
import { pushBlob } from '../../testing/registry-client.js';
import { runServerCli } from '../../testing/server-cli.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { BackupError } from './backup-format.js';
import { listBackups } from './backup-target.js';
import { PRUNE_MARKER_PREFIX } from './prune-fence.js';
import { takeBackup } from './take-backup.js';
import { verifyBackup } from './verify-backup.js';

/*
 * What a backup does when garbage collection deletes a blob between the snapshot and the copy,
 * on a real data directory (SQLite file + blob files) that a server filled.
 */
describe.skipIf(process.env.BERTH_TEST_ENGINE === 'postgres')('takeBackup and GC', () => {
  let server: TestServer;
  let dbFile: string;
  let work: string;

  beforeAll(async () => {
    server = await startTestServer();
    await seedSmallRegistry(server);
    // Pushed through the registry: encrypted at rest, as on any new installation.
    for (let i = 0; i < 4; i++) await pushBlob(server, 'team-alpha/pushed', randomBytes(70_000));
    await server.close();
    dbFile = path.join(server.dataDir, 'berth.db');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-gc-'));
  }, 60_000);

  afterAll(() => {
    fs.rmSync(server.dataDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A blob no manifest uses (an upload nothing referenced), stored and recorded. */
  async function looseBlob(deleting = false): Promise<string> {
    const bytes = randomBytes(4096);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await createFilesystemDriver(server.dataDir).put(digest, bytes);
    const db = new SqliteDatabase(dbFile);
    db.prepare(
      'INSERT INTO blobs (digest, size, media_type, created_at, deleting) VALUES (?, ?, NULL, 0, ?)',
    ).run(digest, bytes.length, deleting ? 1 : 0);
    db.close();
    return digest;
  }

  /** The filesystem driver, with `onGet` run before a read of `digest`. */
  function withHook(digest: string, onGet: () => Promise<void>): BlobDriver {
    const real = createFilesystemDriver(server.dataDir);
    return {
      ...real,
      async get(d, range) {
        if (d === digest) await onGet();
        return real.get(d, range);
      },
    };
  }

  /** GC's two phases for one blob: the file, then the row. */
  async function collect(digest: string): Promise<void> {
    await createFilesystemDriver(server.dataDir).delete(digest);
    const db = new SqliteDatabase(dbFile);
    db.prepare('DELETE FROM blobs WHERE digest = ?').run(digest);
    db.close();
  }

  it('takes a fresh snapshot when GC deleted a blob after the snapshot', async () => {
    const digest = await looseBlob();
    let collected = false;
    const blobs = withHook(digest, async () => {
      if (!collected) await collect(digest);
      collected = true;
    });
    const target = path.join(work, 'retried');
    const lines: string[] = [];
    const result = await takeBackup({
      databaseFile: dbFile,
      blobs,
      target,
      onProgress: (l) => lines.push(l),
    });
    expect(result.attempts).toBe(2);
    expect(lines.join('\n')).toContain(`blob ${digest} was deleted`);
    expect(result.manifest.blobs.map((b) => b.digest)).not.toContain(digest);
    expect(result.manifest.blobs.length).toBeGreaterThan(3);
    const [only, ...more] = listBackups(target);
    expect(more).toEqual([]);
    expect((await verifyBackup(only!)).problems).toEqual([]);
  });

  it('fails, naming the blob and leaving no backup, when every snapshot loses one', async () => {
    const digest = await looseBlob();
    // The file goes each time and the row stays: no fresh snapshot can help.
    const blobs = withHook(digest, async () => {
      await createFilesystemDriver(server.dataDir).delete(digest);
    });
    const target = path.join(work, 'failed');
    const failure = takeBackup({ databaseFile: dbFile, blobs, target, attempts: 2 });
    await expect(failure).rejects.toBeInstanceOf(BackupError);
    await expect(failure).rejects.toThrow(`blob ${digest} was deleted`);
    expect(listBackups(target)).toEqual([]);
    expect(
      fs.readdirSync(target).filter((n) => !['blobs', 'berth-backup.json'].includes(n)),
    ).toEqual([]);
    await collect(digest);
  });

  it('does not read again the blobs an earlier backup kept, and copies one whose stored bytes changed', async () => {
    const target = path.join(work, 'incremental');
    const real = createFilesystemDriver(server.dataDir);
    const first = await takeBackup({ databaseFile: dbFile, blobs: real, target });
    // The pushed blobs are ciphertext: their header is kept in the manifest.
    const encrypted = first.manifest.blobs.filter((b) => !b.plaintext);
    expect(encrypted.length).toBe(4);
    expect(
      encrypted.every((b) => b.head?.startsWith(Buffer.from('BERTHENC').toString('hex'))),
    ).toBe(true);

    // The second backup reads no blob whole: sizes and 24-byte headers only.
    let wholeReads = 0;
    const counting: BlobDriver = {
      ...real,
      async get(digest, range) {
        if (!range || range.end - range.start + 1 > 24) wholeReads += 1;
        return real.get(digest, range);
      },
    };
    const second = await takeBackup({ databaseFile: dbFile, blobs: counting, target });
    expect(second.blobsCopied).toBe(0);
    expect(wholeReads).toBe(0);

    // The same blob encrypted again (same size, a new header): the next backup copies it.
    const changed = encrypted[0]!;
    const file = path.join(server.dataDir, 'blobs', 'sha256', changed.digest.slice(7, 9));
    const stored = fs.readFileSync(path.join(file, changed.digest.slice(7)));
    const rewritten = Buffer.from(stored);
    randomBytes(8).copy(rewritten, 16);
    await real.putStored(changed.digest, rewritten, {
      sha256: createHash('sha256').update(rewritten).digest('hex'),
      size: rewritten.length,
    });
    try {
      const third = await takeBackup({ databaseFile: dbFile, blobs: counting, target });
      expect(third.blobsCopied).toBe(1);
      const kept = third.manifest.blobs.find((b) => b.digest === changed.digest)!;
      expect(kept.sha256).not.toBe(changed.sha256);
      expect((await verifyBackup(listBackups(target).at(-1)!)).problems).toEqual([]);
    } finally {
      await real.putStored(changed.digest, stored, { sha256: changed.sha256, size: changed.size });
    }
  });

  it('skips a blob the snapshot had marked for deletion whose file is gone', async () => {
    const digest = await looseBlob(true);
    await createFilesystemDriver(server.dataDir).delete(digest);
    const result = await takeBackup({
      databaseFile: dbFile,
      blobs: createFilesystemDriver(server.dataDir),
      target: path.join(work, 'marked'),
    });
    expect(result.attempts).toBe(1);
    expect(result.manifest.blobsBeingDeleted).toEqual([digest]);
    expect(result.manifest.blobs.map((b) => b.digest)).not.toContain(digest);
    await collect(digest);
  });

  it('prunes a directory target from the command line (berth backup prune), keeping blobs the kept backups need', async () => {
    const target = path.join(work, 'pruned-by-hand');
    const blobs = createFilesystemDriver(server.dataDir);
    const onlyFirst = await looseBlob();
    await takeBackup({ databaseFile: dbFile, blobs, target });
    await collect(onlyFirst);
    await takeBackup({ databaseFile: dbFile, blobs, target });
    const newest = await takeBackup({ databaseFile: dbFile, blobs, target });
    const pruned = await runServerCli('backup', [
      'prune',
      target,
      '--keep',
      '1',
      '--output',
      'json',
    ]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ keep: 1, backups: 2, blobs: 1 });
    expect(listBackups(target).map((b) => b.manifest.id)).toEqual([newest.id]);
    expect((await verifyBackup(listBackups(target)[0]!)).problems).toEqual([]);
    const notATarget = await runServerCli('backup', ['prune', work, '--keep', '1']);
    expect(notATarget.code).toBe(1);
    expect(notATarget.stderr).toContain('is not a Berth backup target');
  });

  it("waits while another process's prune deletes blobs in the target, and not for a prune that died", async () => {
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '-');
    const target = path.join(work, 'fenced');
    const blobs = createFilesystemDriver(server.dataDir);
    await takeBackup({ databaseFile: dbFile, blobs, target });
    // The run's marker goes with the run.
    expect(fs.readdirSync(target).filter((n) => n.startsWith('.'))).toEqual([]);

    // A prune running in this host's init process (pid 1 lives as long as the machine).
    const running = path.join(target, `${PRUNE_MARKER_PREFIX}${host}.1.aaaaaaaaaaaa`);
    fs.writeFileSync(running, 'now\n');
    const said: string[] = [];
    let finished = false;
    const backup = takeBackup({
      databaseFile: dbFile,
      blobs,
      target,
      onProgress: (line) => said.push(line),
    }).then((result) => {
      finished = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(finished).toBe(false);
    expect(said).toEqual(['waiting for a prune of the target to finish deleting blobs']);
    // Its .partial- marker is there all the while, so a prune starting now leaves blobs alone.
    expect(fs.readdirSync(target).some((n) => n.startsWith('.partial-'))).toBe(true);
    fs.rmSync(running);
    const result = await backup;
    expect((await verifyBackup(listBackups(target).at(-1)!)).problems).toEqual([]);
    expect(result.manifest.blobs.length).toBeGreaterThan(0);

    // One of a process that has ended, or an hour old, is not waited for, and a prune removes it.
    const dead = path.join(target, `${PRUNE_MARKER_PREFIX}${host}.999999999.bbbbbbbbbbbb`);
    const old = path.join(target, `${PRUNE_MARKER_PREFIX}elsewhere.2.cccccccccccc`);
    fs.writeFileSync(dead, 'then\n');
    fs.writeFileSync(old, 'then\n');
    const hourAgo = (Date.now() - 61 * 60 * 1000) / 1000;
    fs.utimesSync(old, hourAgo, hourAgo);
    const quick = await takeBackup({
      databaseFile: dbFile,
      blobs,
      target,
      onProgress: (line) => said.push(line),
    });
    expect(said.filter((l) => l.startsWith('waiting'))).toHaveLength(1);
    expect(quick.manifest.blobs.length).toBeGreaterThan(0);
    const pruned = await runServerCli('backup', ['prune', target, '--keep', '1']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(fs.readdirSync(target).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
