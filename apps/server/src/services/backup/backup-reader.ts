import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { blobPath } from './backup-format.js';
import type { CompleteBackup } from './backup-target.js';
import { s3BlobKey, s3Download, s3Read } from './s3-backup-target.js';

/**
 * Reading a complete backup wherever it is kept (a directory, or an S3 prefix): verify and
 * restore go through these, so both read the two layouts alike.
 */

/** The kept bytes of a blob by their sha256, and where they are (for messages); null: missing. */
export async function openKeptBlob(
  backup: CompleteBackup,
  sha256: string,
): Promise<{ stream: Readable; where: string } | null> {
  if (backup.s3) {
    const key = s3BlobKey(sha256);
    const stream = await s3Read(backup.s3, key);
    return stream ? { stream, where: `${backup.s3.shown}${key}` } : null;
  }
  const file = blobPath(path.dirname(backup.dir), sha256);
  if (!fs.existsSync(file)) return null;
  return { stream: fs.createReadStream(file), where: file };
}

/** Where a kept blob would be, for a message saying it is missing. */
export function keptBlobAddress(backup: CompleteBackup, sha256: string): string {
  return backup.s3
    ? `${backup.s3.shown}${s3BlobKey(sha256)}`
    : blobPath(path.dirname(backup.dir), sha256);
}

/**
 * The backup's database file on local disk (SQLite and pg_restore read files): the file
 * itself in a directory, or a private download of it from S3, removed by release(). `file` is
 * null when the backup lacks it; `where` names it for messages.
 */
export async function localDatabaseFile(
  backup: CompleteBackup,
): Promise<{ file: string | null; where: string; release(): void }> {
  const name = backup.manifest.database.file;
  if (!backup.s3) {
    const file = path.join(backup.dir, name);
    return { file: fs.existsSync(file) ? file : null, where: file, release: () => undefined };
  }
  const where = `${backup.dir}${name}`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-db-'));
  const release = () => fs.rmSync(scratch, { recursive: true, force: true });
  try {
    const file = path.join(scratch, name);
    const found = await s3Download(backup.s3, `${backup.manifest.id}/${name}`, file);
    return { file: found ? file : null, where, release };
  } catch (error) {
    release();
    throw error;
  }
}
