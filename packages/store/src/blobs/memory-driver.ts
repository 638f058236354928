import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  type BlobDriver,
  checkStoredBytes,
  checkStoredExpectation,
  DigestMismatchError,
  parseDigest,
  resolveRange,
  toAsyncIterable,
} from './blob-driver.js';

/** A driver for tests and throwaway demos: blobs live in this process and vanish with it. */
export function createMemoryDriver(): BlobDriver {
  const blobs = new Map<string, Buffer>();

  return {
    // Nothing is staged outside the map: a failed put leaves nothing behind.
    sweepStaging: async () => ({ files: 0, bytes: 0 }),

    async put(digest, data) {
      const { algorithm } = parseDigest(digest);
      const hash = createHash(algorithm);
      const chunks: Buffer[] = [];
      for await (const chunk of toAsyncIterable(data)) {
        // Copies, so a caller that reuses its buffer cannot change a stored blob afterwards.
        const copy = Buffer.from(chunk);
        hash.update(copy);
        chunks.push(copy);
      }
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== digest) throw new DigestMismatchError(digest, actual);
      const existing = blobs.get(digest);
      if (existing) return { size: existing.length };
      const bytes = Buffer.concat(chunks);
      blobs.set(digest, bytes);
      return { size: bytes.length };
    },

    async putStored(digest, data, expect) {
      parseDigest(digest);
      checkStoredExpectation(expect);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      for await (const chunk of toAsyncIterable(data)) {
        const copy = Buffer.from(chunk);
        hash.update(copy);
        chunks.push(copy);
      }
      const bytes = Buffer.concat(chunks);
      checkStoredBytes(expect, { sha256: hash.digest('hex'), size: bytes.length });
      blobs.set(digest, bytes);
      return { size: bytes.length };
    },

    async adopt(digest, file) {
      parseDigest(digest);
      const bytes = await readFile(file);
      blobs.set(digest, bytes);
      await unlink(file);
      return { size: bytes.length };
    },

    async get(digest, range) {
      parseDigest(digest);
      const bytes = blobs.get(digest);
      if (!bytes) return null;
      if (!range) return Readable.from([bytes], { objectMode: false });
      const { start, end } = resolveRange(range, bytes.length);
      return Readable.from([bytes.subarray(start, end + 1)], { objectMode: false });
    },

    async readAll(digest) {
      parseDigest(digest);
      const bytes = blobs.get(digest);
      return bytes ? Buffer.from(bytes) : null;
    },

    async stat(digest) {
      parseDigest(digest);
      const bytes = blobs.get(digest);
      return bytes ? { size: bytes.length } : null;
    },

    async delete(digest) {
      parseDigest(digest);
      return blobs.delete(digest);
    },

    async *list() {
      // Snapshot, so garbage collection may delete while it iterates.
      yield* [...blobs.keys()];
    },
  };
}
