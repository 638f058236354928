import type { BlobReader } from '@berth/store';

/**
 * Reads `length` bytes at `position` into `into`, fewer only where the stored bytes end (a
 * positioned read may return less than asked). Returns how many it read.
 */
export async function readUpTo(
  reader: Pick<BlobReader, 'read'>,
  into: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await reader.read(into.subarray(got), length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * Positioned reads served from one stream of stored bytes that starts at `origin`, for drivers
 * without them (S3: one GET, as a plaintext pull makes). Reads must cover the stream in order
 * without gaps, as the decrypting reader's batches do; one asked for ahead of its turn waits
 * for the reads before it. A failure or an early end fails every read still waiting, so
 * nothing waits on a stream that will not go on.
 */
export function sequentialReader(
  source: AsyncIterable<Uint8Array>,
  origin: number,
  size: number,
): BlobReader {
  const chunks = source[Symbol.asyncIterator]();
  let offset = origin;
  let carry: Uint8Array = new Uint8Array(0);
  let broken: Error | null = null;
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  function fail(error: Error) {
    broken ??= error;
    for (const waiter of waiting.values()) waiter.reject(broken);
    waiting.clear();
  }

  return {
    size,
    async read(buffer, length, position) {
      while (offset !== position) {
        if (broken) throw broken;
        if (position < offset) {
          throw new RangeError(`byte ${position} was read already; reads go in order`);
        }
        await new Promise<void>((resolve, reject) => waiting.set(position, { resolve, reject }));
      }
      if (broken) throw broken;
      let got = 0;
      try {
        while (got < length) {
          if (carry.length === 0) {
            const next = await chunks.next();
            if (next.done) break;
            carry = next.value;
          }
          const n = Math.min(carry.length, length - got);
          buffer.set(carry.subarray(0, n), got);
          carry = carry.subarray(n);
          got += n;
        }
      } catch (error) {
        fail(error as Error);
        throw error;
      }
      offset += got;
      if (got < length) fail(new Error(`the stored bytes end at byte ${offset}`));
      const next = waiting.get(offset);
      if (next) {
        waiting.delete(offset);
        next.resolve();
      }
      return got;
    },
    async close() {
      fail(new Error('the reader is closed'));
      await chunks.return?.();
    },
  };
}
