import type { BlobDriver } from '@berth/store';
import type { Logger } from 'pino';

/**
 * Removes blob files whose metadata a committed transaction already deleted. A failure
 * leaves an orphan file (harmless, reclaimable by a later GC), so it is logged, not thrown.
 */
export async function removeBlobFiles(
  blobs: BlobDriver,
  digests: readonly string[],
  logger: Logger,
): Promise<void> {
  for (const digest of digests) {
    try {
      await blobs.delete(digest);
    } catch (err) {
      logger.warn({ err, digest }, 'could not remove blob file; it stays as an orphan');
    }
  }
}
