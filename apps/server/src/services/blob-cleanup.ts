import type { BlobDriver, Store } from '@berth/store';
import type { Logger } from 'pino';

/**
 * Phase 2 of blob deletion (see blob-reclaim in the store): removes the files of blobs a
 * committed transaction marked `deleting`, then their rows. A file that cannot be removed
 * keeps its row marked, and the next GC run tries again.
 */
export async function removeMarkedBlobs(
  deps: { store: Store; blobs: BlobDriver; logger: Logger },
  digests: readonly string[],
): Promise<string[]> {
  const gone: string[] = [];
  for (const digest of digests) {
    try {
      await deps.blobs.delete(digest);
      gone.push(digest);
    } catch (err) {
      deps.logger.warn({ err, digest }, 'could not remove blob file; GC will retry');
    }
  }
  // The blob's keys go with its bytes (issue 18), before its row: a push of the same content
  // waits for the row to go, and then chooses a new key.
  for (const digest of gone) await deps.store.imageDataKeys.forgetBlob(digest);
  await deps.store.gc.finishBlobDeletion(gone);
  return gone;
}
