import { createHash } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import type { BackupBlob } from './backup-format.js';
import { keptBlobAddress, localDatabaseFile, openKeptBlob } from './backup-reader.js';
import type { CompleteBackup } from './backup-target.js';
import { checkPostgresDump } from './postgres-dump.js';
import { fileChecksum } from './take-backup.js';

export interface VerifyReport {
  id: string;
  ok: boolean;
  blobsChecked: number;
  bytesChecked: number;
  /** One sentence per problem, naming the file or blob. */
  problems: string[];
}

/**
 * Checks a backup without restoring it: the manifest (already parsed by readManifest), the
 * database file's checksum and SQLite's own integrity check (or, for a PostgreSQL backup,
 * pg_restore reading the dump's table of contents), and every blob's presence, size
 * and checksum (and, for plaintext stored bytes, its digest).
 */
export async function verifyBackup(
  backup: CompleteBackup,
  onProgress?: (line: string) => void,
): Promise<VerifyReport> {
  const { manifest } = backup;
  const problems: string[] = [];
  const local = await localDatabaseFile(backup);
  try {
    const dbFile = local.file;
    if (dbFile === null) {
      problems.push(`the database file ${local.where} is missing`);
    } else {
      const actual = await fileChecksum(dbFile);
      if (actual.sha256 !== manifest.database.sha256 || actual.size !== manifest.database.size) {
        problems.push(
          `the database file ${local.where} is damaged: sha256 ${actual.sha256} (${actual.size} bytes), the manifest says ${manifest.database.sha256} (${manifest.database.size} bytes)`,
        );
      } else if (manifest.engine === 'postgres') {
        const problem = await checkPostgresDump(dbFile);
        if (problem) problems.push(problem.replace(dbFile, local.where));
      } else {
        const db = new SqliteDatabase(dbFile, { readonly: true, fileMustExist: true });
        try {
          const check = db.pragma('integrity_check', { simple: true });
          if (check !== 'ok')
            problems.push(
              `the database file ${local.where} fails SQLite's check: ${String(check)}`,
            );
        } finally {
          db.close();
        }
      }
    }
  } finally {
    local.release();
  }

  let blobsChecked = 0;
  let bytesChecked = 0;
  let shownAt = 0;
  for (const blob of manifest.blobs) {
    const problem = await checkBlob(backup, blob);
    if (problem) problems.push(problem);
    blobsChecked += 1;
    bytesChecked += blob.size;
    if (Date.now() - shownAt > 1000) {
      shownAt = Date.now();
      onProgress?.(`blobs ${blobsChecked}/${manifest.blobs.length}`);
    }
  }
  return { id: manifest.id, ok: problems.length === 0, blobsChecked, bytesChecked, problems };
}

/** A sentence naming what is wrong with one kept blob, or null. */
export async function checkBlob(backup: CompleteBackup, blob: BackupBlob): Promise<string | null> {
  const kept = await openKeptBlob(backup, blob.sha256);
  if (!kept) return `blob ${blob.digest} is missing (${keptBlobAddress(backup, blob.sha256)})`;
  const file = kept.where;
  const sha256 = createHash('sha256');
  const own = blob.digest.startsWith('sha512:') ? createHash('sha512') : null;
  let size = 0;
  for await (const chunk of kept.stream) {
    sha256.update(chunk as Buffer);
    own?.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const actual = sha256.digest('hex');
  if (size !== blob.size || actual !== blob.sha256) {
    return `blob ${blob.digest} is damaged (${file}: sha256 ${actual}, ${size} bytes; expected ${blob.sha256}, ${blob.size} bytes)`;
  }
  if (blob.plaintext) {
    const digest = own ? `sha512:${own.digest('hex')}` : `sha256:${actual}`;
    if (digest !== blob.digest) return `blob ${blob.digest} holds other content (${digest})`;
  }
  return null;
}
