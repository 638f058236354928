import fs from 'node:fs';
import path from 'node:path';
import {
  BACKUP_ID,
  BackupError,
  type BackupManifest,
  backupManifestSchema,
  FORMAT_VERSION,
  MANIFEST_FILE,
  TARGET_MARKER,
} from './backup-format.js';
import type { S3Target } from './s3-backup-target.js';
import { writeFileAtomically } from '../../durable-files.js';

/**
 * Opens (creating when missing or empty) a backup target directory. A directory holding
 * anything else is refused: backups never mix with other files, and pruning must be able to
 * treat everything under `blobs/` as its own.
 */
export function openTarget(dir: string): string {
  const target = path.resolve(dir);
  if (!fs.existsSync(target)) fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  if (!fs.statSync(target).isDirectory()) throw new BackupError(`${target} is not a directory`);
  const marker = path.join(target, TARGET_MARKER);
  if (fs.existsSync(marker)) {
    checkMarker(target);
    return target;
  }
  if (fs.readdirSync(target).length > 0) {
    throw new BackupError(
      `${target} is neither empty nor a Berth backup target (no ${TARGET_MARKER}): choose an empty directory`,
    );
  }
  writeFileAtomically(marker, `${JSON.stringify({ format: FORMAT_VERSION })}\n`);
  return target;
}

function checkMarker(target: string): void {
  let format: unknown;
  try {
    format = (
      JSON.parse(fs.readFileSync(path.join(target, TARGET_MARKER), 'utf8')) as {
        format?: unknown;
      }
    ).format;
  } catch {
    throw new BackupError(`${path.join(target, TARGET_MARKER)} is damaged (not JSON)`);
  }
  if (format !== FORMAT_VERSION) {
    throw new BackupError(
      `${target} holds backups in format ${String(format)}; this Berth reads format ${FORMAT_VERSION}`,
    );
  }
}

export interface CompleteBackup {
  /** The backup's folder, or for a backup kept in S3 its s3://bucket/prefix/<id>/ address. */
  dir: string;
  manifest: BackupManifest;
  /** Set when the backup is kept in S3 (the target's prefix, not the backup's). */
  s3?: S3Target;
}

/** Reads and checks a backup's manifest; throws BackupError naming what is wrong. */
export function readManifest(backupDir: string): BackupManifest {
  const file = path.join(backupDir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    throw new BackupError(
      `${backupDir} has no ${MANIFEST_FILE}: it is not a complete backup (a run that did not finish?)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new BackupError(`${file} is damaged: not JSON`);
  }
  const parsed = backupManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      `${file} is damaged or from another Berth: ${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if (parsed.data.id !== path.basename(backupDir)) {
    throw new BackupError(
      `${file} names backup ${parsed.data.id}, not ${path.basename(backupDir)}`,
    );
  }
  return parsed.data;
}

/** The complete backups in a target, oldest first (ids sort by time). */
export function listBackups(target: string): CompleteBackup[] {
  checkMarker(target);
  return fs
    .readdirSync(target)
    .filter((name) => BACKUP_ID.test(name))
    .sort()
    .filter((name) => fs.existsSync(path.join(target, name, MANIFEST_FILE)))
    .map((name) => {
      const dir = path.join(target, name);
      return { dir, manifest: readManifest(dir) };
    });
}

/**
 * A backup named on the command line: a backup folder, or a target (its newest complete
 * backup). Throws BackupError when neither.
 */
export function resolveBackup(given: string): CompleteBackup {
  const dir = path.resolve(given);
  if (!fs.existsSync(dir)) throw new BackupError(`${dir} does not exist`);
  if (fs.existsSync(path.join(dir, TARGET_MARKER))) {
    const newest = listBackups(dir).at(-1);
    if (!newest) throw new BackupError(`${dir} holds no complete backup`);
    return newest;
  }
  if (!fs.existsSync(path.join(path.dirname(dir), TARGET_MARKER))) {
    throw new BackupError(`${dir} is not a Berth backup (no ${TARGET_MARKER} beside or in it)`);
  }
  return { dir, manifest: readManifest(dir) };
}
