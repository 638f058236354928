import { BACKUP_ID, MANIFEST_FILE } from './backup-format.js';
import { IN_PROGRESS_MS, type PruneResult } from './prune-backups.js';
import { isDeadPrune, pruneMarkerName } from './prune-fence.js';
import {
  listS3Backups,
  s3AbortUpload,
  s3Delete,
  s3ListAll,
  s3ListLevel,
  s3PutText,
  s3Size,
  s3UnfinishedUploads,
  type S3Target,
} from './s3-backup-target.js';

/**
 * pruneBackups for an S3 target, in the same order and for the same reasons. Each backup to
 * remove loses its manifest first: one DeleteObject that makes it stop being a backup (what
 * the rename does in a directory), so a crash part-way leaves keys no listing shows as a
 * backup, never a backup without its database or blobs; its other keys go next, and leftovers
 * of such a crash are removed by the next prune. Blobs go last, and only those no remaining
 * manifest names, read after the manifests are gone. While a backup is being written into the
 * target (a `.partial-…` marker younger than a day) blobs and leftovers are left alone.
 * Listings are paginated: a target holds far more than one page of keys.
 */
export async function pruneS3Backups(
  t: S3Target,
  keep: number,
  now = Date.now(),
): Promise<PruneResult> {
  const result: PruneResult = { backups: 0, blobs: 0, bytes: 0, blobsSkipped: false };
  const backups = await listS3Backups(t);
  for (const old of backups.slice(0, Math.max(0, backups.length - keep))) {
    const id = old.manifest.id;
    await s3Delete(t, `${id}/${MANIFEST_FILE}`);
    await removeUnder(t, `${id}/`);
    result.backups += 1;
  }

  // Marked before it looks for backups being written, and kept until its last deletion: a
  // backup that starts meanwhile waits for it (prune-fence.ts).
  const marker = pruneMarkerName();
  await s3PutText(t, marker, `${new Date(now).toISOString()}\n`);
  try {
    await pruneBlobs(t, now, result);
  } finally {
    await s3Delete(t, marker).catch(() => undefined);
  }
  // Multipart uploads of runs that died (a kill mid-upload) cost storage until aborted.
  for await (const upload of s3UnfinishedUploads(t)) {
    if (now - upload.started > IN_PROGRESS_MS) await s3AbortUpload(t, upload.key, upload.uploadId);
  }
  return result;
}

/** The blobs no remaining backup names, unless a backup is being written. */
async function pruneBlobs(t: S3Target, now: number, result: PruneResult): Promise<void> {
  if (await writerPresent(t, now)) {
    result.blobsSkipped = true;
    return;
  }
  const remaining = await listS3Backups(t);
  const needed = new Set<string>();
  for (const { manifest } of remaining) {
    for (const blob of manifest.blobs) needed.add(blob.sha256);
  }
  // Leftovers of a prune (or a publish) that died: a backup's keys without its manifest.
  const whole = new Set(remaining.map((b) => b.manifest.id));
  for (const dir of (await s3ListLevel(t, '')).dirs) {
    if (!BACKUP_ID.test(dir) || whole.has(dir)) continue;
    // Finished since the listing above: a backup after all.
    if ((await s3Size(t, `${dir}/${MANIFEST_FILE}`)) !== null) continue;
    await removeUnder(t, `${dir}/`);
  }
  const doomed: { key: string; size: number }[] = [];
  for await (const object of s3ListAll(t, 'blobs/sha256/')) {
    const name = object.key.split('/').at(-1) ?? '';
    if (!needed.has(name)) doomed.push(object);
  }
  // Looked at again just before deleting: a run that began while the blobs were listed may
  // already count one of them as present.
  if (doomed.length > 0 && (await writerPresent(t, now))) {
    result.blobsSkipped = true;
    return;
  }
  for (const object of doomed) {
    await s3Delete(t, object.key);
    result.blobs += 1;
    result.bytes += object.size;
  }
}

/**
 * Whether a young `.partial-…` marker says a backup is being written; old ones are removed, as
 * are the markers of prunes that died.
 */
async function writerPresent(t: S3Target, now: number): Promise<boolean> {
  let running = false;
  for (const { key, modified } of (await s3ListLevel(t, '')).keys) {
    if (isDeadPrune(key, modified, now)) await s3Delete(t, key);
    if (!key.startsWith('.partial-')) continue;
    if (now - modified > IN_PROGRESS_MS) await s3Delete(t, key);
    else running = true;
  }
  return running;
}

async function removeUnder(t: S3Target, under: string): Promise<void> {
  const keys: string[] = [];
  for await (const object of s3ListAll(t, under)) keys.push(object.key);
  for (const key of keys) await s3Delete(t, key);
}
