import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Files that survive a crash or a power cut whole: written, synced, then renamed into place, and
 * the directory synced so the rename itself is durable. For the root key file and backups.
 */

/** Writes `data` under `file` (mode 0600) so that a crash leaves the old file or the new one, never half. */
export function writeFileAtomically(file: string, data: string | Buffer): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDirectory(path.dirname(file));
}

/** Flushes a file's bytes to disk (before it is renamed into place or counted as written). */
export function syncFile(file: string): void {
  syncOpened(file, 'r+');
}

/** A rename is durable once the directory holding it is synced. */
export function syncDirectory(dir: string): void {
  syncOpened(dir, 'r');
}

function syncOpened(where: string, flags: string): void {
  const fd = fs.openSync(where, flags);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
