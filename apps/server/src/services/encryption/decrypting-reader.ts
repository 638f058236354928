import type { BlobReader } from '@berth/store';
import { readUpTo } from './positioned-reads.js';
import { BATCH_SEGMENTS, type SegmentCipherPool } from './segment-cipher-pool.js';
import {
  CiphertextError,
  openInputs,
  openSegment,
  SEGMENT_BYTES,
  type SegmentHeader,
  segmentCount,
  segmentOffset,
  TAG_BYTES,
  unauthenticSegment,
} from './segment-format.js';

/** Batches read and decrypted ahead of the one being sent: the disk, the cipher and the socket work at once. */
const AHEAD = 3;
const BATCH_PLAIN = BATCH_SEGMENTS * SEGMENT_BYTES;

interface Batch {
  plain: Buffer;
  release(): void;
  /** Views of it not released yet: its memory is given back only once there are none. */
  views: number;
  dropped: boolean;
}

/** Plaintext bytes lent out of a batch's memory until release is called. */
export interface PlainView {
  bytes: Buffer;
  release(): void;
}

/**
 * A reader that can also lend its plaintext without a copy (sendBlob writes the view to the
 * socket and releases it once written).
 */
export interface ViewingReader extends BlobReader {
  view(position: number, length: number): Promise<PlainView>;
}

export interface DecryptingReaderOptions {
  stored: BlobReader;
  key: Buffer;
  header: SegmentHeader;
  digest: string;
  plainSize: number;
  /** The plaintext bytes that will be read: [from, until) (a Range, or the whole blob). */
  from: number;
  until: number;
  pool: SegmentCipherPool;
}

/**
 * The plaintext of an encrypted blob as positioned reads (what sendBlob takes), for sending
 * a large blob: batches of 16 segments are read from the stored bytes and opened on the
 * cipher pool's workers, three batches ahead of the one being sent. A batch that finds no free
 * slot is opened on this thread. A segment that does not authenticate fails the read that
 * reaches it, before any of its bytes are returned.
 */
export function decryptingReader(options: DecryptingReaderOptions): ViewingReader {
  const { stored, key, header, digest, plainSize, pool } = options;
  const count = segmentCount(plainSize);
  // Only the segments the range covers are read and opened, in batches from its first one.
  const firstSegment = Math.floor(options.from / SEGMENT_BYTES);
  const endSegment = Math.min(count, Math.ceil(options.until / SEGMENT_BYTES));
  const origin = firstSegment * SEGMENT_BYTES;
  const lastBatch = Math.ceil((endSegment - firstSegment) / BATCH_SEGMENTS) - 1;
  const loading = new Map<number, Promise<Batch>>();
  let closed = false;

  /** Segment i's stored length (the last one may be short). */
  const sealedLength = (i: number) =>
    (i === count - 1 ? plainSize - i * SEGMENT_BYTES : SEGMENT_BYTES) + header.overhead;

  async function readFully(into: Buffer, length: number, position: number) {
    if ((await readUpTo(stored, into, length, position)) < length) {
      throw new CiphertextError(`the stored blob ${digest} ends before its recorded size`);
    }
  }

  async function load(b: number): Promise<Batch> {
    const first = firstSegment + b * BATCH_SEGMENTS;
    const end = Math.min(endSegment, first + BATCH_SEGMENTS);
    const start = segmentOffset(first, header);
    const length = segmentOffset(end - 1, header) + sealedLength(end - 1) - start;
    const slot = pool.acquire('open');
    if (!slot) return loadHere(first, end, start, length);
    try {
      await readFully(slot.input, length, start);
      let at = 0;
      let out = 0;
      for (let i = first; i < end; i++) {
        const sealed = slot.input.subarray(at, at + sealedLength(i));
        const { nonce, aad, skip } = openInputs(header, digest, i, i === count - 1, sealed);
        const bytes = sealed.length - skip - TAG_BYTES;
        slot.add({
          inputAt: at + skip,
          inputLength: bytes,
          nonce,
          aad,
          outputAt: out,
          tagAt: at + sealed.length - TAG_BYTES,
        });
        at += sealed.length;
        out += bytes;
      }
      const failed = await pool.run(slot, key);
      if (failed >= 0) throw unauthenticSegment(digest, first + failed);
      return {
        plain: slot.output.subarray(0, out),
        release: () => slot.release(),
        views: 0,
        dropped: false,
      };
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  /** As load, on this thread (every slot is in use). */
  async function loadHere(first: number, end: number, start: number, length: number) {
    const sealed = Buffer.allocUnsafe(length);
    await readFully(sealed, length, start);
    const plain: Buffer[] = [];
    let at = 0;
    for (let i = first; i < end; i++) {
      const bytes = sealed.subarray(at, at + sealedLength(i));
      plain.push(openSegment(key, header, digest, i, i === count - 1, bytes));
      at += bytes.length;
    }
    return { plain: Buffer.concat(plain), release: () => undefined, views: 0, dropped: false };
  }

  function batch(b: number): Promise<Batch> {
    let pending = loading.get(b);
    if (!pending) {
      pending = load(b);
      // Read ahead: a failure is reported to the read that reaches it.
      pending.catch(() => undefined);
      loading.set(b, pending);
    }
    return pending;
  }

  const settle = (done: Batch) => {
    if (done.dropped && done.views === 0) done.release();
  };

  /** No read needs batch b again; its memory goes back once its views are released. */
  function drop(b: number) {
    const pending = loading.get(b);
    if (!pending) return;
    loading.delete(b);
    void pending.then(
      (done) => {
        done.dropped = true;
        settle(done);
      },
      () => undefined,
    );
  }

  /**
   * The batch holding plaintext byte `at`, with the ones after it read ahead; throws for
   * bytes outside [from, until) or a closed reader.
   */
  async function batchAt(at: number, length: number) {
    if (closed) throw new Error(`the reader of ${digest} is closed`);
    if (at < origin || at + length > options.until) {
      throw new RangeError(`bytes ${at}+${length} of ${digest} are outside what was opened`);
    }
    const b = Math.floor((at - origin) / BATCH_PLAIN);
    for (const held of loading.keys()) if (held < b) drop(held);
    for (let next = b + 1; next <= Math.min(lastBatch, b + AHEAD); next++) void batch(next);
    const done = await batch(b);
    return { b, done, from: at - origin - b * BATCH_PLAIN };
  }

  return {
    size: plainSize,
    async read(buffer, length, position) {
      let copied = 0;
      while (copied < length && position + copied < plainSize) {
        const { b, done, from } = await batchAt(position + copied, length - copied);
        const n = Math.min(length - copied, done.plain.length - from);
        done.plain.copy(buffer, copied, from, from + n);
        copied += n;
        if (from + n === done.plain.length) drop(b);
      }
      return copied;
    },
    async view(position, length) {
      if (position >= plainSize || length === 0) {
        return { bytes: Buffer.alloc(0), release: () => undefined };
      }
      const { b, done, from } = await batchAt(position, length);
      const n = Math.min(length, done.plain.length - from);
      done.views += 1;
      if (from + n === done.plain.length) drop(b);
      let released = false;
      return {
        bytes: done.plain.subarray(from, from + n),
        release: () => {
          if (released) return;
          released = true;
          done.views -= 1;
          settle(done);
        },
      };
    },
    async close() {
      closed = true;
      const held = [...loading.keys()];
      const settled = held.map((b) => loading.get(b)!.catch(() => undefined));
      for (const b of held) drop(b);
      // The stored reader is closed only once no read of it is in flight.
      await Promise.all(settled);
      await stored.close();
    },
  };
}
