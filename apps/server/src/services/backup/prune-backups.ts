import fs from 'node:fs';
import path from 'node:path';
import { listBackups } from './backup-target.js';
import { isDeadPrune, PRUNE_MARKER_PREFIX, pruneMarkerName } from './prune-fence.js';

/** A backup folder being written (`.partial-…`) younger than this may still be running. */
export const IN_PROGRESS_MS = 24 * 60 * 60 * 1000;

export interface PruneResult {
  backups: number;
  blobs: number;
  bytes: number;
  /** Blobs were left alone because another backup is writing into the target. */
  blobsSkipped: boolean;
}

/**
 * Keeps the `keep` newest complete backups in `target` and removes the rest, then every kept
 * blob no remaining backup's manifest names. A blob another kept backup needs is never removed:
 * the set to keep is read from the manifests that stay. While another backup is being written
 * into the target (a `.partial-` folder younger than a day), blobs are left alone: that run
 * may already have counted a blob as present. Leftovers of runs that died are removed.
 */
export function pruneBackups(target: string, keep: number, now = Date.now()): PruneResult {
  // Read first: what is not a backup target is refused before anything is written into it.
  const backups = listBackups(target);
  // Marked before it looks for backups being written, and kept until its last deletion: a
  // backup that starts meanwhile waits for it (prune-fence.ts).
  const marker = path.join(target, pruneMarkerName());
  fs.writeFileSync(marker, `${new Date(now).toISOString()}\n`, { mode: 0o600 });
  try {
    return pruneMarked(target, backups, keep, now);
  } finally {
    fs.rmSync(marker, { force: true });
  }
}

function pruneMarked(
  target: string,
  backups: ReturnType<typeof listBackups>,
  keep: number,
  now: number,
): PruneResult {
  const result: PruneResult = { backups: 0, blobs: 0, bytes: 0, blobsSkipped: false };
  for (const old of backups.slice(0, Math.max(0, backups.length - keep))) {
    // Renamed first, so a crash half-way through the removal leaves no folder that looks like
    // a backup without all of its files.
    const doomed = path.join(target, `.pruning-${path.basename(old.dir)}`);
    fs.renameSync(old.dir, doomed);
    fs.rmSync(doomed, { recursive: true, force: true });
    result.backups += 1;
  }
  let running = false;
  for (const name of fs.readdirSync(target)) {
    const file = path.join(target, name);
    if (name.startsWith('.pruning-')) fs.rmSync(file, { recursive: true, force: true });
    if (!name.startsWith('.partial-') && !name.startsWith(PRUNE_MARKER_PREFIX)) continue;
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) continue;
    if (isDeadPrune(name, stat.mtimeMs, now)) fs.rmSync(file, { force: true });
    if (!name.startsWith('.partial-')) continue;
    if (now - stat.mtimeMs > IN_PROGRESS_MS) {
      fs.rmSync(file, { recursive: true, force: true });
    } else {
      running = true;
    }
  }
  if (running) {
    result.blobsSkipped = true;
    return result;
  }
  const needed = new Set<string>();
  for (const { manifest } of listBackups(target)) {
    for (const blob of manifest.blobs) needed.add(blob.sha256);
  }
  const root = path.join(target, 'blobs', 'sha256');
  if (!fs.existsSync(root)) return result;
  for (const prefix of fs.readdirSync(root)) {
    for (const name of fs.readdirSync(path.join(root, prefix))) {
      if (needed.has(name)) continue;
      const file = path.join(root, prefix, name);
      result.bytes += fs.statSync(file).size;
      fs.rmSync(file);
      result.blobs += 1;
    }
  }
  fs.rmSync(path.join(target, 'blobs', '.staging'), { recursive: true, force: true });
  return result;
}

/** Prunes a target named as the schedule and the CLI name it: a directory or an s3:// address. */
export async function pruneTarget(
  target: string,
  keep: number,
  now = Date.now(),
): Promise<PruneResult> {
  if (!target.startsWith('s3://')) return pruneBackups(target, keep, now);
  // Loaded only for an S3 target: a server that backs up into a directory never loads the
  // AWS SDK (as with the blob store, see @berth/store/s3).
  const { connectS3Target } = await import('./s3-backup-target.js');
  const { pruneS3Backups } = await import('./prune-s3-backups.js');
  const s3 = await connectS3Target(target);
  try {
    return await pruneS3Backups(s3, keep, now);
  } finally {
    s3.client.destroy();
  }
}
