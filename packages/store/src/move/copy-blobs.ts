import { createHash } from 'node:crypto';
import {
  type BlobDriver,
  DigestMismatchError,
  parseDigest,
  StoredBytesMismatchError,
} from '../blobs/blob-driver.js';
import { MoveRefusedError } from './copy-metadata.js';

/**
 * Copying the blobs of one driver (the filesystem's) into another (S3's), for `berth migrate`.
 * Every blob goes through the target's `put`, which hashes the bytes as they stream and
 * publishes them only when they hash to the blob's name: a blob whose bytes on disk do not
 * match is never published, and the copy fails naming it.
 *
 * A blob the target holds already (left by an interrupted run) is read back and hashed, and
 * skipped when its bytes are right; bytes that are not are an error. A target that holds
 * blobs the source does not is refused before anything is written (checkTargetBlobs): it
 * belongs to another installation.
 *
 * Blobs encrypted at rest (issue 18) are stored as ciphertext, which does not hash to their
 * name: `storedForm` names them, and they are copied as stored bytes with `putStored`, checked
 * against the sha256 and size of a first read of the source.
 */

export interface BlobCopyProgress {
  blobs: number;
  totalBlobs: number;
  bytes: number;
  totalBytes: number;
}

export interface BlobCopyResult {
  copied: number;
  /** Already in the target with the right bytes. */
  present: number;
  bytes: number;
}

/** One blob the copy could not take, and why. */
export class BlobCopyError extends Error {
  override readonly name = 'BlobCopyError';

  constructor(
    readonly failures: { digest: string; reason: string }[],
    total: number,
  ) {
    const shown = failures
      .slice(0, 3)
      .map((f) => `${f.digest} (${f.reason})`)
      .join('; ');
    super(
      `${failures.length} of ${total} blob(s) could not be copied: ${shown}${failures.length > 3 ? '; …' : ''}`,
    );
  }
}

/** Refuses a target holding a blob the source lacks; reads only. */
export async function checkTargetBlobs(
  source: BlobDriver,
  target: BlobDriver,
  where: string,
): Promise<void> {
  for await (const digest of target.list()) {
    if (!(await source.stat(digest))) {
      throw new MoveRefusedError(
        `${where} already holds blobs that are not this installation's (${digest}): migrate into an empty bucket prefix`,
      );
    }
  }
}

/** sha256 (hex) and size of what a driver stores under `digest`; null when absent. */
async function storedHashOf(
  driver: BlobDriver,
  digest: string,
): Promise<{ sha256: string; size: number } | null> {
  const stream = await driver.get(digest);
  if (!stream) return null;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function hashOf(target: BlobDriver, digest: string): Promise<string | null> {
  const stream = await target.get(digest);
  if (!stream) return null;
  const { algorithm } = parseDigest(digest);
  const hash = createHash(algorithm);
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return `${algorithm}:${hash.digest('hex')}`;
}

export async function copyBlobs(
  source: BlobDriver,
  target: BlobDriver,
  options: {
    concurrency?: number;
    onProgress?: (progress: BlobCopyProgress) => void;
    /** Digests whose stored bytes are not their content (encrypted at rest): copied as stored. */
    storedForm?: ReadonlySet<string>;
  } = {},
): Promise<BlobCopyResult> {
  // A first pass counts, so that progress can say n of N; only sizes are read.
  let totalBlobs = 0;
  let totalBytes = 0;
  for await (const digest of source.list()) {
    totalBlobs += 1;
    totalBytes += (await source.stat(digest))?.size ?? 0;
  }
  const progress: BlobCopyProgress = { blobs: 0, totalBlobs, bytes: 0, totalBytes };
  const result: BlobCopyResult = { copied: 0, present: 0, bytes: 0 };
  const failures: { digest: string; reason: string }[] = [];

  /** Copies the stored bytes as they are, checked against a first read of the source. */
  const copyStored = async (digest: string): Promise<void> => {
    const expected = await storedHashOf(source, digest);
    if (!expected) {
      failures.push({ digest, reason: 'it disappeared from the source during the copy' });
      return;
    }
    if (await target.stat(digest)) {
      const actual = await storedHashOf(target, digest);
      if (actual?.sha256 !== expected.sha256) {
        failures.push({ digest, reason: 'the target already holds other bytes under this name' });
        return;
      }
      result.present += 1;
      progress.bytes += expected.size;
      return;
    }
    const stream = await source.get(digest);
    if (!stream) {
      failures.push({ digest, reason: 'it disappeared from the source during the copy' });
      return;
    }
    try {
      await target.putStored(digest, stream as AsyncIterable<Uint8Array>, expected);
    } catch (error) {
      if (!(error instanceof StoredBytesMismatchError)) throw error;
      failures.push({ digest, reason: 'its stored bytes changed while they were copied' });
      return;
    }
    result.copied += 1;
    result.bytes += expected.size;
    progress.bytes += expected.size;
  };

  const copyOne = async (digest: string): Promise<void> => {
    try {
      if (options.storedForm?.has(digest)) {
        await copyStored(digest);
        return;
      }
      const stored = await target.stat(digest);
      if (stored) {
        const actual = await hashOf(target, digest);
        if (actual !== digest) {
          failures.push({
            digest,
            reason: `the target already holds other bytes under this name (they hash to ${actual})`,
          });
          return;
        }
        result.present += 1;
        progress.bytes += stored.size;
        return;
      }
      const stream = await source.get(digest);
      if (!stream) {
        failures.push({ digest, reason: 'it disappeared from the source during the copy' });
        return;
      }
      const { size } = await target.put(digest, stream as AsyncIterable<Uint8Array>);
      result.copied += 1;
      result.bytes += size;
      progress.bytes += size;
    } catch (error) {
      if (error instanceof DigestMismatchError) {
        failures.push({
          digest,
          reason: `its bytes on disk hash to ${error.actual}: the file is damaged; restore it from a backup or remove the image that uses it`,
        });
        return;
      }
      throw error;
    } finally {
      progress.blobs += 1;
      options.onProgress?.({ ...progress });
    }
  };

  // A fixed number of workers drawing from one listing: memory holds a handful of digests,
  // whatever the number of blobs.
  const listing = source.list()[Symbol.asyncIterator]();
  let listed = Promise.resolve();
  const nextDigest = async (): Promise<string | undefined> => {
    // One reader of the directory listing at a time.
    const turn = listed.then(() => listing.next());
    listed = turn.then(
      () => undefined,
      () => undefined,
    );
    const item = await turn;
    return item.done ? undefined : item.value;
  };
  const worker = async (): Promise<void> => {
    for (let digest = await nextDigest(); digest; digest = await nextDigest()) {
      await copyOne(digest);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  if (failures.length > 0) throw new BlobCopyError(failures, totalBlobs);
  return result;
}
