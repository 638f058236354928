import { statfsSync } from 'node:fs';
import { StorageFullError } from '@berth/domain';

/** errno codes that mean "no room": a full disk, or the user's disk quota. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);
/**
 * SQLite reports some writes that ran out of room as I/O errors (SQLITE_IOERR_WRITE,
 * SQLITE_IOERR_SHMSIZE, …) without the errno: those count as a full disk when the file system
 * under the database has less than this left.
 */
const NEARLY_FULL_BYTES = 4 * 1024 * 1024;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function nearlyFull(dir: string): boolean {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

/**
 * The StorageFullError a failed write means, or null when it failed for another reason.
 * `dir` is a directory on the file system that was written to, for SQLite's I/O errors.
 */
export function storageFullFrom(error: unknown, dir?: string): StorageFullError | null {
  if (error instanceof StorageFullError) return error;
  const code = codeOf(error);
  if (code === undefined) return null;
  const full =
    code === 'SQLITE_FULL' ||
    NO_ROOM.has(code) ||
    (code.startsWith('SQLITE_IOERR') && dir !== undefined && nearlyFull(dir));
  if (!full) return null;
  const mapped = new StorageFullError();
  // The low-level error stays attached for the log (an operator may want the path or errno).
  mapped.cause = error;
  return mapped;
}

/** `error` as a StorageFullError when it means the disk is full, otherwise unchanged. */
export function asStorageFull(error: unknown, dir?: string): unknown {
  return storageFullFrom(error, dir) ?? error;
}
