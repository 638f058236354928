import crypto from 'node:crypto';
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobReader } from '@berth/store';
import { afterAll, describe, expect, it } from 'vitest';
import { HashingFileWriter } from '../registry/hashing-file-writer.js';
import { SealingBatches } from '../registry/sealing-batches.js';
import { UploadSealer } from '../registry/upload-sealer.js';
import { decryptingReader } from './decrypting-reader.js';
import { BATCH_SEGMENTS, SegmentCipherPool } from './segment-cipher-pool.js';
import {
  CiphertextError,
  decryptSegments,
  encryptStream,
  HEADER_BYTES,
  newHeader,
  parseHeader,
  plainSizeOf,
  planRange,
  SEGMENT_BYTES,
  SEGMENT_OVERHEAD,
  segmentOffset,
} from './segment-format.js';

const KEY = crypto.randomBytes(32);
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const S = SEGMENT_BYTES;
const pools: SegmentCipherPool[] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cipher-pool-'));

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  fs.rmSync(work, { recursive: true, force: true });
});

function newPool(workers = 1, slots = 4) {
  const pool = new SegmentCipherPool(workers, slots);
  pools.push(pool);
  return pool;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function encrypted(plain: Buffer, digest = DIGEST): Promise<Buffer> {
  return collect(encryptStream(KEY, digest, Readable.from([plain]), plain.length, newHeader()));
}

/** Positioned reads over bytes in memory, counting what was read and whether it was closed. */
function memoryReader(bytes: Buffer) {
  const seen = { reads: 0, bytesRead: 0, closed: false };
  const reader: BlobReader = {
    size: bytes.length,
    async read(buffer, length, position) {
      seen.reads += 1;
      const n = Math.max(0, Math.min(length, bytes.length - position));
      bytes.copy(buffer, 0, position, position + n);
      seen.bytesRead += n;
      return n;
    },
    async close() {
      seen.closed = true;
    },
  };
  return { reader, seen };
}

function reading(stored: Buffer, pool: SegmentCipherPool, from: number, until: number) {
  const header = parseHeader(stored.subarray(0, HEADER_BYTES));
  const memory = memoryReader(stored);
  const plain = decryptingReader({
    stored: memory.reader,
    key: KEY,
    header,
    digest: DIGEST,
    plainSize: plainSizeOf(stored.length, header.version),
    from,
    until,
    pool,
  });
  return { plain, seen: memory.seen };
}

/** Reads [from, until) in steps of `step` bytes, as sendBlob does. */
async function readAll(reader: BlobReader, from: number, until: number, step: number) {
  const out: Buffer[] = [];
  const buffer = Buffer.alloc(step);
  for (let at = from; at < until;) {
    const n = await reader.read(buffer, Math.min(step, until - at), at);
    if (n === 0) break;
    out.push(Buffer.from(buffer.subarray(0, n)));
    at += n;
  }
  return Buffer.concat(out);
}

describe('the cipher pool (issue 18)', () => {
  it('opens on a worker what segment-format sealed, across batch boundaries, in any step', async () => {
    const pool = newPool();
    const plain = crypto.randomBytes(2 * BATCH_SEGMENTS * S + 3 * S + 123);
    const stored = await encrypted(plain);
    for (const step of [1 << 20, 65_536 + 7, 999_999]) {
      const { plain: reader, seen } = reading(stored, pool, 0, plain.length);
      expect((await readAll(reader, 0, plain.length, step)).equals(plain)).toBe(true);
      await reader.close();
      expect(seen.closed).toBe(true);
    }
    expect(pool.ran).toBeGreaterThanOrEqual(9);
    // Every slot came back: as many can be taken again as the pool has.
    const taken = [0, 1, 2, 3].map(() => pool.acquire('open'));
    expect(taken.every((slot) => slot !== null)).toBe(true);
    expect(pool.acquire('open')).toBeNull();
    for (const slot of taken) slot!.release();
    // A slot released twice is free once: its memory is never handed to two holders.
    taken[0]!.release();
    const again = [0, 1, 2, 3].map(() => pool.acquire('open'));
    expect(new Set(again).size).toBe(4);
    expect(pool.acquire('open')).toBeNull();
    for (const slot of again) slot!.release();
  });

  it('lends views of its memory that stay intact until released, then reuses it', async () => {
    const pool = newPool(1, 4);
    const plain = crypto.randomBytes(8 * BATCH_SEGMENTS * S);
    const stored = await encrypted(plain);
    const { plain: reader } = reading(stored, pool, 0, plain.length);
    const first = await reader.view(0, 1 << 20);
    expect(first.bytes.equals(plain.subarray(0, 1 << 20))).toBe(true);
    // The reader moves on through every other batch while the first view is held: its slot is
    // not handed to them (they are opened in the others, or on this thread).
    const rest = await readAll(reader, 1 << 20, plain.length, 999_999);
    expect(rest.equals(plain.subarray(1 << 20))).toBe(true);
    expect(first.bytes.equals(plain.subarray(0, 1 << 20))).toBe(true);
    await reader.close();
    const slots = [0, 1, 2, 3].map(() => pool.acquire('open'));
    expect(slots.filter((slot) => slot !== null)).toHaveLength(3);
    for (const slot of slots) slot?.release();
    first.release();
    first.release(); // twice is once
    const all = [0, 1, 2, 3].map(() => pool.acquire('open'));
    expect(all.every((slot) => slot !== null)).toBe(true);
    expect(pool.acquire('open')).toBeNull();
    for (const slot of all) slot!.release();
  });

  it('reads and opens only the segments a Range covers', async () => {
    const pool = newPool();
    const plain = crypto.randomBytes(40 * S);
    const stored = await encrypted(plain);
    const from = 20 * S + 5;
    const until = 22 * S + 10;
    const { plain: reader, seen } = reading(stored, pool, from, until);
    expect((await readAll(reader, from, until, 1 << 20)).equals(plain.subarray(from, until))).toBe(
      true,
    );
    await reader.close();
    // Segments 20, 21 and 22, nothing ahead of them.
    expect(seen.bytesRead).toBe(3 * (S + SEGMENT_OVERHEAD));
    await expect(reader.read(Buffer.alloc(10), 10, from)).rejects.toThrow(/closed/);
  });

  it('fails the read that reaches a segment that does not authenticate, never returning its bytes', async () => {
    const pool = newPool();
    const plain = crypto.randomBytes(3 * BATCH_SEGMENTS * S);
    const stored = await encrypted(plain);
    const bad = BATCH_SEGMENTS + 5; // in the second batch
    stored[segmentOffset(bad) + 40]! ^= 0x01;
    const { plain: reader } = reading(stored, pool, 0, plain.length);
    const buffer = Buffer.alloc(BATCH_SEGMENTS * S);
    // The first batch reads whole while the second is opened ahead.
    expect(await reader.read(buffer, buffer.length, 0)).toBe(buffer.length);
    expect(buffer.equals(plain.subarray(0, buffer.length))).toBe(true);
    buffer.fill(0);
    const failed = reader.read(buffer, buffer.length, buffer.length);
    await expect(failed).rejects.toThrow(CiphertextError);
    await expect(failed).rejects.toThrow(`segment ${bad} of ${DIGEST} does not authenticate`);
    // Nothing of the second batch was copied out, not even its good segments.
    expect(buffer.equals(Buffer.alloc(buffer.length))).toBe(true);
    await reader.close();
    // The worker wrote no plaintext of the failed segment into shared memory either.
    const slots = [0, 1, 2, 3].map(() => pool.acquire('open')!);
    const past = plain.subarray(bad * S + 1000, bad * S + 1064); // beyond the altered byte
    const good = plain.subarray((bad - 1) * S + 1000, (bad - 1) * S + 1064);
    expect(slots.some((slot) => slot.output.includes(good))).toBe(true);
    expect(slots.some((slot) => slot.output.includes(past))).toBe(false);
    for (const slot of slots) slot.release();
  });

  it('opens on this thread, the same bytes, when every slot is taken', async () => {
    const pool = newPool(1, 1);
    const held = pool.acquire('open')!;
    const plain = crypto.randomBytes(BATCH_SEGMENTS * S * 2 + 17);
    const stored = await encrypted(plain);
    const before = pool.ran;
    const { plain: reader } = reading(stored, pool, 0, plain.length);
    expect((await readAll(reader, 0, plain.length, 1 << 20)).equals(plain)).toBe(true);
    await reader.close();
    expect(pool.ran).toBe(before);
    held.release();
    // Tampering is caught on this thread too.
    const other = newPool(0, 0);
    stored[segmentOffset(3) + 1]! ^= 0x01;
    const { plain: here } = reading(stored, other, 0, plain.length);
    await expect(readAll(here, 0, plain.length, 1 << 20)).rejects.toThrow(CiphertextError);
  });

  it('reports a batch the worker could not run, and goes on with the next', async () => {
    const pool = newPool();
    const plain = crypto.randomBytes(2 * BATCH_SEGMENTS * S);
    const stored = await encrypted(plain);
    const header = parseHeader(stored.subarray(0, HEADER_BYTES));
    const slot = pool.acquire('open')!;
    slot.add({
      inputAt: 0,
      inputLength: 10,
      nonce: Buffer.alloc(12),
      aad: Buffer.alloc(0),
      outputAt: 0,
      tagAt: 0,
    });
    // A key of the wrong length: the worker's cipher refuses it.
    await expect(pool.run(slot, Buffer.alloc(7))).rejects.toThrow(/the cipher worker failed/);
    slot.release();
    // Stopped (as a worker that died): the next batch starts a new one.
    await pool.close();
    const reader = decryptingReader({
      stored: memoryReader(stored).reader,
      key: KEY,
      header,
      digest: DIGEST,
      plainSize: plain.length,
      from: 0,
      until: plain.length,
      pool,
    });
    const before = pool.ran;
    expect((await readAll(reader, 0, plain.length, 1 << 20)).equals(plain)).toBe(true);
    expect(pool.ran).toBeGreaterThan(before);
    await reader.close();
  });
});

describe('an upload sealed in batches on the cipher pool (issue 18)', () => {
  /** Streams `plain` in chunks through HashingFileWriter; returns the file's plaintext. */
  async function sealed(plain: Buffer, pool: SegmentCipherPool | null, chunk: number) {
    const file = path.join(work, crypto.randomUUID());
    const handle = await open(file, 'w+');
    const sealer = new UploadSealer(KEY, newHeader());
    const hash = crypto.createHash('sha256');
    const pieces = function* () {
      for (let at = 0; at < plain.length; at += chunk) yield plain.subarray(at, at + chunk);
    };
    const writer = new HashingFileWriter(
      handle,
      hash,
      segmentOffset(0),
      () => undefined,
      new SealingBatches(sealer, pool),
    );
    await pipeline(Readable.from(pieces()), writer);
    // As upload-sessions finishes it: the header, then the last segment.
    const last = sealer.finish();
    await handle.write(sealer.header.bytes, 0, HEADER_BYTES, 0);
    await handle.write(last, 0, last.length, segmentOffset(sealer.segments));
    await handle.close();
    const stored = fs.readFileSync(file);
    const header = parseHeader(stored);
    const size = plainSizeOf(stored.length, header.version);
    const plan = planRange(size);
    const slice = stored.subarray(plan.storedStart, plan.storedEnd + 1);
    return {
      plain: await collect(decryptSegments(KEY, header, '', size, plan, Readable.from([slice]))),
      hash: hash.digest('hex'),
    };
  }

  it('writes segments that open to the upload, whatever the chunking', async () => {
    const pool = newPool();
    const plain = crypto.randomBytes(3 * BATCH_SEGMENTS * S + 5 * S + 99);
    const before = pool.ran;
    for (const chunk of [65_536, 1 << 20, 12_345]) {
      const result = await sealed(plain, pool, chunk);
      expect(result.plain.equals(plain)).toBe(true);
      expect(result.hash).toBe(crypto.createHash('sha256').update(plain).digest('hex'));
    }
    expect(pool.ran - before).toBeGreaterThanOrEqual(9);
  });

  it('seals on this thread, in order, when slots run out part-way', async () => {
    const pool = newPool(1, 1);
    const plain = crypto.randomBytes(4 * BATCH_SEGMENTS * S + 3);
    const held = pool.acquire('seal')!;
    // Given back while the upload streams: batches sealed here come first, then the pool's.
    setTimeout(() => held.release(), 5);
    const result = await sealed(plain, pool, 32_768);
    expect(result.plain.equals(plain)).toBe(true);
    const none = await sealed(plain, null, 100_000);
    expect(none.plain.equals(plain)).toBe(true);
  });

  it('lands no write after a failed stream has settled', async () => {
    const pool = newPool();
    const file = path.join(work, crypto.randomUUID());
    const handle = await open(file, 'w+');
    const sealer = new UploadSealer(KEY, newHeader());
    const writer = new HashingFileWriter(
      handle,
      crypto.createHash('sha256'),
      segmentOffset(0),
      () => undefined,
      new SealingBatches(sealer, pool),
    );
    const source = new Readable({ read() {} });
    source.push(crypto.randomBytes(3 * BATCH_SEGMENTS * S));
    setTimeout(() => source.destroy(new Error('the client went away')), 20);
    await expect(pipeline(source, writer)).rejects.toThrow('the client went away');
    await writer.settled();
    const size = (await handle.stat()).size;
    await handle.truncate(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await handle.stat()).size).toBe(0);
    expect(size).toBeLessThanOrEqual(segmentOffset(3 * BATCH_SEGMENTS));
    await handle.close();
    // Its slot came back.
    const slots = [0, 1, 2, 3].map(() => pool.acquire('seal'));
    expect(slots.every((slot) => slot !== null)).toBe(true);
    for (const slot of slots) slot!.release();
  });
});
