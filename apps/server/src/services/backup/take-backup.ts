import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { BlobDriver } from '@berth/store';
import { VERSION } from '../../version.js';
import {
  type BackupBlob,
  BackupError,
  type BackupManifest,
  blobPath,
  DATABASE_FILE,
  FORMAT_VERSION,
  POSTGRES_DUMP_FILE,
  MANIFEST_FILE,
  newBackupId,
} from './backup-format.js';
import { listBackups, openTarget } from './backup-target.js';
import { isLivePrune, PRUNE_MARKER_PREFIX, waitForPrunes } from './prune-fence.js';
import { syncDirectory, syncFile, writeFileAtomically } from '../../durable-files.js';
import { snapshotPostgres } from './postgres-dump.js';
import {
  listS3Backups,
  s3BlobKey,
  s3Delete,
  s3ListLevel,
  s3PartialKey,
  s3PutFile,
  s3PutText,
  s3Size,
  type S3Target,
} from './s3-backup-target.js';

export interface TakeBackupOptions {
  /** The live SQLite database (a running Berth may be writing it). */
  databaseFile: string;
  /** The live PostgreSQL database instead (BERTH_DATABASE_URL): databaseFile is then unused. */
  databaseUrl?: string | null;
  /** The installation's blob store, read raw: stored bytes (ciphertext stays ciphertext). */
  blobs: BlobDriver;
  /** A target directory (opened by openTarget), or an S3 prefix (opened by openS3Target). */
  target: string | S3Target;
  now?: () => Date;
  concurrency?: number;
  /** Fresh snapshots tried when a blob the snapshot lists was deleted before it was copied. */
  attempts?: number;
  onProgress?: (line: string) => void;
}

export interface BackupResult {
  id: string;
  dir: string;
  manifest: BackupManifest;
  blobsCopied: number;
  bytesCopied: number;
  blobsPresent: number;
  attempts: number;
}

/** A blob the snapshot needs was gone from the store: GC took it after the snapshot. */
class BlobGone extends Error {
  constructor(readonly digest: string) {
    super(`blob ${digest} was deleted from the blob store after the snapshot was taken`);
  }
}

/**
 * Takes an online backup: a consistent snapshot of the live database (SQLite's online backup
 * API, each step a read transaction, while a server keeps writing through WAL; or pg_dump of
 * an exported PostgreSQL snapshot, see postgres-dump.ts), then every
 * blob THE SNAPSHOT lists, then the manifest, last and atomically.
 *
 * A blob the snapshot lists can vanish before it is copied only when GC removed it, i.e. when
 * nothing referenced it any more after the snapshot (an image purged from the trash, a
 * namespace deleted, an upload link past its grace period). Such a snapshot would restore a row
 * without its bytes, so the run starts over with a fresh snapshot (blobs copied already are
 * kept and not copied again), up to `attempts` times, and then fails naming the blob. Blobs the
 * snapshot itself had marked for deletion are the exception: nothing can reference them, so
 * one that is gone is listed in the manifest and skipped.
 */
export async function takeBackup(opts: TakeBackupOptions): Promise<BackupResult> {
  if (!opts.databaseUrl && !fs.existsSync(opts.databaseFile)) {
    throw new BackupError(`there is no Berth database at ${opts.databaseFile}`);
  }
  const target =
    typeof opts.target === 'string'
      ? directorySink(opts.target, opts.onProgress)
      : s3Sink(opts.target, opts.onProgress);
  const attempts = opts.attempts ?? 3;
  await target.begin();
  try {
    const known = await target.known();
    const copied = { blobs: 0, bytes: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await attemptBackup(opts, target, known, copied);
        return { ...result, attempts: attempt };
      } catch (error) {
        if (!(error instanceof BlobGone)) throw error;
        if (attempt >= attempts) {
          throw new BackupError(
            `${error.message}, in each of ${attempts} snapshots: garbage collection is deleting faster than the backup copies; run it again when GC is quiet`,
          );
        }
        opts.onProgress?.(`${error.message}; taking a fresh snapshot`);
      }
    }
  } finally {
    await target.end();
  }
}

/**
 * Where a backup is written: a directory or an S3 prefix. Work happens in a local staging
 * folder; a blob is kept under its checksum's name once whole, and a backup is published by
 * its manifest, last.
 */
interface Sink {
  /** digest -> the bytes kept for it by earlier backups in this target. */
  known(): Promise<Map<string, BackupBlob>>;
  /** A fresh local folder for one attempt's files. */
  stage(id: string): string;
  /** Where a blob's bytes are staged while hashed (beside the kept blobs, when local). */
  blobStaging(staging: string): string;
  keptSize(sha256: string): Promise<number | null>;
  /** Keeps the staged file `tmp` as the blob whose bytes hash to sha256 (tmp is consumed). */
  keep(sha256: string, tmp: string): Promise<void>;
  /** Publishes the staged database file, then the manifest; returns where the backup is. */
  publish(id: string, staging: string, databaseFile: string, manifest: string): Promise<string>;
  discard(staging: string): void;
  /**
   * Around the whole run: marks the target as being written into (a `.partial-…` marker, which
   * a prune sees), then waits for a prune that is deleting blobs there (see prune-fence.ts).
   */
  begin(): Promise<void>;
  end(): Promise<void>;
}

function knownFrom(backups: { manifest: BackupManifest }[]): Map<string, BackupBlob> {
  const known = new Map<string, BackupBlob>();
  for (const { manifest } of backups) {
    for (const blob of manifest.blobs) known.set(blob.digest, blob);
  }
  return known;
}

function directorySink(dir: string, onWait?: (line: string) => void): Sink {
  const target = openTarget(dir);
  // A file, beside the staging folders a run makes: it marks the whole run, from before the
  // kept backups are read (as the S3 marker does).
  const marker = path.join(
    target,
    `.partial-${newBackupId(new Date(), randomBytes(3).toString('hex'))}.run`,
  );
  const livePrunes = async () => {
    let live = 0;
    for (const name of fs.readdirSync(target)) {
      // Only markers are looked at: a target holds a folder per backup.
      if (!name.startsWith(PRUNE_MARKER_PREFIX)) continue;
      const stat = fs.statSync(path.join(target, name), { throwIfNoEntry: false });
      if (stat && isLivePrune(name, stat.mtimeMs)) live += 1;
    }
    return live;
  };
  return {
    async begin() {
      fs.writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
      await waitForPrunes(livePrunes, onWait);
    },
    end: () => Promise.resolve(fs.rmSync(marker, { force: true })),
    known: () => Promise.resolve(knownFrom(listBackups(target))),
    stage(id) {
      // Not a backup id: listBackups never sees it, and the rename that gives it its id comes
      // after the manifest is in it.
      const staging = path.join(target, `.partial-${id}`);
      fs.mkdirSync(staging, { mode: 0o700 });
      return staging;
    },
    blobStaging() {
      const staging = path.join(target, 'blobs', '.staging');
      fs.mkdirSync(staging, { recursive: true });
      return staging;
    },
    keptSize(sha256) {
      const kept = fs.statSync(blobPath(target, sha256), { throwIfNoEntry: false });
      return Promise.resolve(kept ? kept.size : null);
    },
    keep(sha256, tmp) {
      const final = blobPath(target, sha256);
      fs.mkdirSync(path.dirname(final), { recursive: true });
      fs.renameSync(tmp, final);
      syncDirectory(path.dirname(final));
      return Promise.resolve();
    },
    publish(id, staging, _databaseFile, manifest) {
      writeFileAtomically(path.join(staging, MANIFEST_FILE), manifest);
      const final = path.join(target, id);
      fs.renameSync(staging, final);
      syncDirectory(target);
      return Promise.resolve(final);
    },
    discard: (staging) => fs.rmSync(staging, { recursive: true, force: true }),
  };
}

function s3Sink(t: S3Target, onWait?: (line: string) => void): Sink {
  const marker = s3PartialKey(newBackupId(new Date(), randomBytes(3).toString('hex')));
  const livePrunes = async () =>
    (await s3ListLevel(t, '')).keys.filter((k) => isLivePrune(k.key, k.modified)).length;
  return {
    known: async () => knownFrom(await listS3Backups(t)),
    async begin() {
      // Before the target's blobs are looked at: pruning leaves blobs alone while it is there.
      await s3PutText(t, marker, `${new Date().toISOString()}\n`);
      await waitForPrunes(livePrunes, onWait);
    },
    // A marker left behind only holds pruning off for a day.
    end: () => s3Delete(t, marker).catch(() => undefined),
    stage: () => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-')),
    blobStaging: (staging) => staging,
    keptSize: (sha256) => s3Size(t, s3BlobKey(sha256)),
    async keep(sha256, tmp) {
      try {
        await s3PutFile(t, s3BlobKey(sha256), tmp);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    },
    async publish(id, staging, databaseFile, manifest) {
      await s3PutFile(t, `${id}/${databaseFile}`, path.join(staging, databaseFile));
      // Last: a PutObject is all or nothing, so the manifest's presence means a whole backup.
      await s3PutText(t, `${id}/${MANIFEST_FILE}`, manifest);
      fs.rmSync(staging, { recursive: true, force: true });
      return `${t.shown}${id}/`;
    },
    discard: (staging) => fs.rmSync(staging, { recursive: true, force: true }),
  };
}

async function attemptBackup(
  opts: TakeBackupOptions,
  target: Sink,
  known: Map<string, BackupBlob>,
  copied: { blobs: number; bytes: number },
): Promise<Omit<BackupResult, 'attempts'>> {
  const now = opts.now ?? (() => new Date());
  const createdAt = now();
  const id = newBackupId(createdAt, randomBytes(3).toString('hex'));
  const staging = target.stage(id);
  try {
    const engine = opts.databaseUrl ? 'postgres' : 'sqlite';
    const snapshotFile = path.join(
      staging,
      engine === 'postgres' ? POSTGRES_DUMP_FILE : DATABASE_FILE,
    );
    let snapshot: Snapshot;
    if (opts.databaseUrl) {
      snapshot = await snapshotPostgres(opts.databaseUrl, snapshotFile);
    } else {
      await snapshotSqlite(opts.databaseFile, snapshotFile);
      snapshot = readSnapshot(snapshotFile);
    }
    opts.onProgress?.(`snapshot taken: ${snapshot.blobs.length} blob(s) to back up`);

    const blobs: BackupBlob[] = [];
    const beingDeleted: string[] = [];
    let present = 0;
    let done = 0;
    let shownAt = 0;
    const queue = [...snapshot.blobs];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const outcome = await backUpBlob(
          opts.blobs,
          target,
          staging,
          next.digest,
          known.get(next.digest),
        );
        if (outcome === null) {
          if (!next.deleting) throw new BlobGone(next.digest);
          beingDeleted.push(next.digest);
        } else {
          blobs.push(outcome.blob);
          if (outcome.copied) {
            copied.blobs += 1;
            copied.bytes += outcome.blob.size;
          } else {
            present += 1;
          }
        }
        done += 1;
        if (Date.now() - shownAt > 1000 || done === snapshot.blobs.length) {
          shownAt = Date.now();
          opts.onProgress?.(`blobs ${done}/${snapshot.blobs.length}`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
    blobs.sort((a, b) => a.digest.localeCompare(b.digest));

    const manifest: BackupManifest = {
      format: FORMAT_VERSION,
      id,
      berthVersion: VERSION,
      engine,
      createdAt: createdAt.toISOString(),
      finishedAt: now().toISOString(),
      database: {
        file: engine === 'postgres' ? POSTGRES_DUMP_FILE : DATABASE_FILE,
        ...(await fileChecksum(snapshotFile)),
      },
      blobs,
      blobsBeingDeleted: beingDeleted.sort(),
      counts: snapshot.counts,
      rootKeyIds: snapshot.rootKeyIds,
    };
    const dir = await target.publish(
      id,
      staging,
      path.basename(snapshotFile),
      `${JSON.stringify(manifest, null, 1)}\n`,
    );
    return {
      id,
      dir,
      manifest,
      blobsCopied: copied.blobs,
      bytesCopied: copied.bytes,
      blobsPresent: present,
    };
  } catch (error) {
    target.discard(staging);
    throw error;
  }
}

/**
 * SQLite's online backup API on the live file. Each step is a read transaction; when another
 * process writes between steps the copy starts again, so after a first small step it copies
 * everything left in one step: one read transaction, one consistent snapshot however busy the
 * server, and in WAL mode writers never wait for it.
 */
async function snapshotSqlite(source: string, destination: string): Promise<void> {
  const db = new SqliteDatabase(source, { fileMustExist: true, timeout: 10_000 });
  try {
    await db.backup(destination, {
      progress: ({ totalPages }) => Math.max(totalPages, 100) * 2,
    });
  } finally {
    db.close();
  }
  syncFile(destination);
}

export interface Snapshot {
  blobs: { digest: string; deleting: boolean }[];
  counts: Record<string, number>;
  rootKeyIds: string[];
}

/** What the backup needs from the snapshot, read from the copy, never the live database. */
export function readSnapshot(file: string): Snapshot {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the snapshot of the database is damaged: ${check}`);
    const blobs = (
      db.prepare('SELECT digest, deleting FROM blobs ORDER BY digest').all() as {
        digest: string;
        deleting: number;
      }[]
    ).map((r) => ({ digest: r.digest, deleting: r.deleting !== 0 }));
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' ORDER BY name`,
      )
      .all() as { name: string }[];
    const counts: Record<string, number> = {};
    const keyIds = new Set<string>();
    for (const { name } of tables) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      counts[name] = (db.prepare(`SELECT COUNT(*) AS n FROM ${quoted}`).get() as { n: number }).n;
      // Every data key records the fingerprint of the root key that wraps it: projects' in
      // `key_id`, namespaces' (image data encrypted at rest) in `root_key_id`.
      const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as {
        name: string;
      }[];
      for (const column of ['key_id', 'root_key_id']) {
        if (!columns.some((c) => c.name === column)) continue;
        const rows = db
          .prepare(`SELECT DISTINCT ${column} AS id FROM ${quoted} WHERE ${column} IS NOT NULL`)
          .all() as { id: string }[];
        for (const r of rows) keyIds.add(r.id);
      }
    }
    return { blobs, counts, rootKeyIds: [...keyIds].sort() };
  } finally {
    db.close();
  }
}

export async function fileChecksum(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Hashes of the stored bytes: sha256 (their name in the backup) and the digest's algorithm. */
class StoredHash {
  private readonly sha256 = createHash('sha256');
  private readonly own: ReturnType<typeof createHash> | null;
  private head = Buffer.alloc(0);
  size = 0;

  constructor(readonly digest: string) {
    this.own = digest.startsWith('sha512:') ? createHash('sha512') : null;
  }

  update(bytes: Buffer): void {
    this.sha256.update(bytes);
    this.own?.update(bytes);
    if (this.head.length < HEAD_BYTES) {
      this.head = Buffer.concat([this.head, bytes.subarray(0, HEAD_BYTES - this.head.length)]);
    }
    this.size += bytes.length;
  }

  result(): BackupBlob {
    const sha256 = this.sha256.digest('hex');
    const own = this.own ? `sha512:${this.own.digest('hex')}` : `sha256:${sha256}`;
    const plaintext = own === this.digest;
    const blob = { digest: this.digest, size: this.size, sha256, plaintext };
    return plaintext ? blob : { ...blob, head: this.head.toString('hex') };
  }
}

/** The encryption header's length: what tells one encryption of a blob from another. */
const HEAD_BYTES = 24;

/**
 * Whether the store still holds the bytes an earlier backup kept for this digest, without
 * reading them: plaintext is named by its digest, so the same size is the same bytes
 * (encrypting it changes the size); ciphertext is rewritten only with a new random header.
 * null: the store no longer has the blob.
 */
async function stillKept(driver: BlobDriver, earlier: BackupBlob): Promise<boolean | null> {
  const stored = await driver.stat(earlier.digest);
  if (!stored) return null;
  if (stored.size !== earlier.size) return false;
  if (earlier.plaintext) return true;
  if (earlier.head === undefined || earlier.head.length === 0) return false;
  const stream = await driver.get(earlier.digest, {
    start: 0,
    end: earlier.head.length / 2 - 1,
  });
  if (!stream) return null;
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('hex') === earlier.head;
}

/**
 * One blob into the target: null when the store no longer has it. A blob an earlier backup
 * kept is not read again when the store still holds those bytes (stillKept) and the kept file
 * is there at its size: a daily backup of a large store reads only what is new. Otherwise its
 * bytes are streamed once into a staging file while hashed, fsynced and renamed to their
 * checksum's name.
 */
async function backUpBlob(
  driver: BlobDriver,
  target: Sink,
  staging: string,
  digest: string,
  earlier: BackupBlob | undefined,
): Promise<{ blob: BackupBlob; copied: boolean } | null> {
  if (earlier) {
    const same = await stillKept(driver, earlier);
    if (same === null) return null;
    if (same && (await target.keptSize(earlier.sha256)) === earlier.size) {
      return { blob: earlier, copied: false };
    }
  }
  const stream = await driver.get(digest);
  if (!stream) return null;
  const tmp = path.join(target.blobStaging(staging), randomBytes(12).toString('hex'));
  const hash = new StoredHash(digest);
  const out = await fs.promises.open(tmp, 'wx', 0o600);
  try {
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        await out.write(bytes);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const stored = hash.result();
    if ((await target.keptSize(stored.sha256)) === stored.size) {
      fs.rmSync(tmp);
      return { blob: stored, copied: false };
    }
    await target.keep(stored.sha256, tmp);
    return { blob: stored, copied: true };
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
