import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readUpTo, sequentialReader } from './positioned-reads.js';

/** `bytes` as a stream of chunks of `size`, the first of them at stored byte `origin`. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}

describe('positioned reads from one stream', () => {
  const origin = 24;
  const bytes = crypto.randomBytes(10_000);

  it('serves reads asked for out of order, each in its turn, whatever the chunking', async () => {
    for (const chunk of [1, 7, 1000, 20_000]) {
      const reader = sequentialReader(chunked(bytes, chunk), origin, origin + bytes.length);
      const parts = [0, 2500, 5000, 7500].map(() => Buffer.alloc(2500));
      // As the decrypting reader asks: the batches ahead first, then the one it needs.
      const reads = [1, 2, 3, 0].map((i) =>
        readUpTo(reader, parts[i]!, 2500, origin + i * 2500).then((n) => [i, n]),
      );
      expect(await Promise.all(reads)).toEqual([
        [1, 2500],
        [2, 2500],
        [3, 2500],
        [0, 2500],
      ]);
      expect(Buffer.concat(parts).equals(bytes)).toBe(true);
      await reader.close();
    }
  });

  it('refuses a read behind the stream, and one that ends early fails the reads waiting', async () => {
    const reader = sequentialReader(chunked(bytes, 512), origin, origin + bytes.length);
    const first = Buffer.alloc(4000);
    expect(await reader.read(first, 4000, origin)).toBe(4000);
    await expect(reader.read(Buffer.alloc(10), 10, origin)).rejects.toThrow(RangeError);

    const waiting = reader.read(Buffer.alloc(10), 10, origin + 20_000);
    // Asks for more than is left: the stream ends, and the read waiting behind it fails.
    const rest = Buffer.alloc(8000);
    expect(await reader.read(rest, 8000, origin + 4000)).toBe(6000);
    await expect(waiting).rejects.toThrow(/end at byte/);
    await expect(reader.read(Buffer.alloc(1), 1, origin + 10_000)).rejects.toThrow(/end at byte/);
  });

  it('a failing stream fails the read in progress and those waiting; close fails the rest', async () => {
    const failing = new Readable({
      read() {
        this.push(bytes.subarray(0, 100));
        this.destroy(new Error('connection reset'));
      },
    });
    const reader = sequentialReader(failing, 0, bytes.length);
    const later = reader.read(Buffer.alloc(100), 100, 1000);
    await expect(reader.read(Buffer.alloc(1000), 1000, 0)).rejects.toThrow('connection reset');
    await expect(later).rejects.toThrow('connection reset');

    const idle = sequentialReader(chunked(bytes, 100), 0, bytes.length);
    const ahead = idle.read(Buffer.alloc(10), 10, 5000);
    await idle.close();
    await expect(ahead).rejects.toThrow('closed');
  });
});
