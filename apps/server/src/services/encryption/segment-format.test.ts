import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CiphertextError,
  decryptSegments,
  encryptStream,
  HEADER_BYTES,
  newHeader,
  parseHeader,
  plainSizeOf,
  planRange,
  openTail,
  SEGMENT_BYTES,
  SEGMENT_OVERHEAD,
  sealSegment,
  sealTail,
  storedSizeOf,
  TAG_BYTES,
} from './segment-format.js';

const KEY = crypto.randomBytes(32);
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const S = SEGMENT_BYTES;

async function* chunks(bytes: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function encrypt(
  plain: Buffer,
  chunk = 7919,
  digest = DIGEST,
  version: 1 | 2 = 2,
): Promise<Buffer> {
  const header = newHeader(undefined, version);
  return collect(encryptStream(KEY, digest, chunks(plain, chunk), plain.length, header));
}

/** Reads plaintext [start, end] the way the registry does: only the planned stored bytes. */
async function read(
  stored: Buffer,
  plainSize: number,
  range?: { start: number; end: number },
  opts: { key?: Buffer; digest?: string } = {},
): Promise<Buffer> {
  const header = parseHeader(stored.subarray(0, HEADER_BYTES));
  const plan = planRange(plainSize, range, header.overhead);
  const slice = stored.subarray(plan.storedStart, plan.storedEnd + 1);
  return collect(
    decryptSegments(
      opts.key ?? KEY,
      header,
      opts.digest ?? DIGEST,
      plainSize,
      plan,
      chunks(slice, 1000),
    ),
  );
}

const bytes = (n: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + 17) & 0xff;
  return b;
};

describe('segment format', () => {
  it('round-trips sizes around segment boundaries, the empty blob included', async () => {
    for (const n of [0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 5]) {
      const plain = bytes(n);
      const stored = await encrypt(plain);
      expect(stored.length).toBe(storedSizeOf(n));
      expect(plainSizeOf(stored.length)).toBe(n);
      expect((await read(stored, n)).equals(plain)).toBe(true);
      // Nothing of the plaintext shows through.
      if (n >= 64) expect(stored.includes(plain.subarray(0, 64))).toBe(false);
    }
  });

  it('decrypts only the segments a range covers, starting and ending on boundaries', async () => {
    const n = 3 * S + 100;
    const plain = bytes(n);
    const stored = await encrypt(plain);
    const ranges = [
      [0, 0],
      [S - 1, S],
      [S, 2 * S - 1],
      [S, S],
      [2 * S - 1, 2 * S - 1],
      [10, 3 * S + 50],
      [3 * S, n - 1],
      [n - 1, n + 1000],
    ] as const;
    for (const [start, end] of ranges) {
      const got = await read(stored, n, { start, end });
      expect(got.equals(plain.subarray(start, Math.min(end, n - 1) + 1))).toBe(true);
      const plan = planRange(n, { start, end });
      expect(plan.last - plan.first + 1).toBe(
        Math.floor(Math.min(end, n - 1) / S) - Math.floor(start / S) + 1,
      );
    }
  });

  it('fails loudly on a flipped bit, a swapped segment, a truncated file and a foreign digest or key', async () => {
    const n = 2 * S + 10;
    const stored = await encrypt(bytes(n));
    const tampered = Buffer.from(stored);
    tampered[HEADER_BYTES + S + SEGMENT_OVERHEAD + 5]! ^= 1;
    await expect(read(tampered, n)).rejects.toBeInstanceOf(CiphertextError);
    // The first segment still reads: only what is returned is decrypted.
    expect((await read(tampered, n, { start: 0, end: S - 1 })).equals(bytes(S))).toBe(true);

    const stride = S + SEGMENT_OVERHEAD;
    const swapped = Buffer.concat([
      stored.subarray(0, HEADER_BYTES),
      stored.subarray(HEADER_BYTES + stride, HEADER_BYTES + 2 * stride),
      stored.subarray(HEADER_BYTES, HEADER_BYTES + stride),
      stored.subarray(HEADER_BYTES + 2 * stride),
    ]);
    await expect(read(swapped, n, { start: 0, end: S - 1 })).rejects.toBeInstanceOf(
      CiphertextError,
    );
    // Cut after two whole segments: the second was not sealed as the last.
    const cut = stored.subarray(0, HEADER_BYTES + 2 * stride);
    await expect(read(cut, 2 * S)).rejects.toBeInstanceOf(CiphertextError);
    await expect(
      read(stored, n, undefined, { key: crypto.randomBytes(32) }),
    ).rejects.toBeInstanceOf(CiphertextError);
    // Fewer stored bytes than the recorded size asks for.
    const short = stored.subarray(0, stored.length - 3);
    await expect(read(short, n)).rejects.toBeInstanceOf(CiphertextError);
  });

  it('encrypts exactly the announced size: a source that ends early or runs long throws', async () => {
    const plain = bytes(S + 10);
    await expect(
      collect(encryptStream(KEY, DIGEST, chunks(plain, 999), plain.length + 1)),
    ).rejects.toThrow(RangeError);
    await expect(
      collect(encryptStream(KEY, DIGEST, chunks(plain, 999), plain.length - 1)),
    ).rejects.toThrow(RangeError);
    // Whatever the chunking, the same header gives the same ciphertext.
    const header = newHeader(Buffer.alloc(8, 7));
    const a = await collect(encryptStream(KEY, DIGEST, chunks(plain, 1), plain.length, header));
    const b = await collect(encryptStream(KEY, DIGEST, chunks(plain, S), plain.length, header));
    expect(a.equals(b)).toBe(true);
  });

  it('refuses an altered header: magic, version, segment size or nonce prefix', async () => {
    const stored = await encrypt(bytes(100));
    for (const [at, label] of [
      [0, 'magic'],
      [8, 'version'],
      [12, 'segment size'],
    ] as const) {
      const bad = Buffer.from(stored);
      bad[at]! ^= 0x40;
      expect(() => parseHeader(bad), label).toThrow(CiphertextError);
    }
    const prefix = Buffer.from(stored);
    prefix[20]! ^= 1;
    await expect(read(prefix, 100)).rejects.toBeInstanceOf(CiphertextError);
  });

  it('still reads version 1 (the digest bound in, no nonce stored), and v2 no longer binds the digest', async () => {
    const n = 2 * S + 10;
    const plain = bytes(n);
    const v1 = await encrypt(plain, 7919, DIGEST, 1);
    expect(v1[8]).toBe(1);
    expect(v1.length).toBe(storedSizeOf(n, 1));
    expect(v1.length).toBe(HEADER_BYTES + n + 3 * TAG_BYTES);
    expect(plainSizeOf(v1.length, 1)).toBe(n);
    expect((await read(v1, n)).equals(plain)).toBe(true);
    expect(
      (await read(v1, n, { start: S - 3, end: S + 3 })).equals(plain.subarray(S - 3, S + 4)),
    ).toBe(true);
    // Version 1 binds the digest into every segment.
    await expect(
      read(v1, n, undefined, { digest: `sha256:${'cd'.repeat(32)}` }),
    ).rejects.toBeInstanceOf(CiphertextError);
    // Version 2 does not (the blob's key, whose wraps name the digest, ties it to one blob).
    const v2 = await encrypt(plain);
    expect(v2[8]).toBe(2);
    expect(
      (await read(v2, n, undefined, { digest: `sha256:${'cd'.repeat(32)}` })).equals(plain),
    ).toBe(true);
  });

  it('reads segments sealed one by one with random nonces, as an upload writes them', async () => {
    const n = 2 * S + 77;
    const plain = bytes(n);
    const header = newHeader();
    const parts = [header.bytes];
    for (let i = 0; i < 3; i++) {
      parts.push(sealSegment(KEY, header, '', i, i === 2, plain.subarray(i * S, (i + 1) * S)));
    }
    const stored = Buffer.concat(parts);
    expect(stored.length).toBe(storedSizeOf(n));
    expect((await read(stored, n)).equals(plain)).toBe(true);
    // The same position sealed again gets another nonce: never one nonce for two plaintexts.
    const again = sealSegment(KEY, header, '', 0, false, plain.subarray(0, S));
    expect(again.subarray(0, 12).equals(stored.subarray(HEADER_BYTES, HEADER_BYTES + 12))).toBe(
      false,
    );
    // Sealed as the last where it is not (or the reverse) fails.
    const wrongLast = Buffer.concat([
      header.bytes,
      sealSegment(KEY, header, '', 0, true, plain.subarray(0, S)),
      stored.subarray(HEADER_BYTES + S + SEGMENT_OVERHEAD),
    ]);
    await expect(read(wrongLast, n)).rejects.toBeInstanceOf(CiphertextError);
  });

  it('seals an upload tail bound to its place: another position, header or key fails', async () => {
    const header = newHeader();
    const tail = bytes(1000);
    const sealed = sealTail(KEY, header, 3, tail);
    expect(sealed.includes(tail.subarray(0, 32))).toBe(false);
    expect(openTail(KEY, header, 3, sealed).equals(tail)).toBe(true);
    expect(() => openTail(KEY, header, 2, sealed)).toThrow(CiphertextError);
    expect(() => openTail(KEY, newHeader(), 3, sealed)).toThrow(CiphertextError);
    expect(() => openTail(crypto.randomBytes(32), header, 3, sealed)).toThrow(CiphertextError);
    // A tail is never taken for a segment.
    const plan = planRange(1000);
    await expect(
      collect(decryptSegments(KEY, header, '', 1000, plan, chunks(sealed, 99))),
    ).rejects.toBeInstanceOf(CiphertextError);
  });

  it('refuses stored sizes no plaintext has', () => {
    // The last: a full segment plus 5 bytes, too short to hold a second sealed segment.
    for (const size of [
      0,
      HEADER_BYTES,
      HEADER_BYTES + SEGMENT_OVERHEAD - 1,
      HEADER_BYTES + S + SEGMENT_OVERHEAD + 5,
    ]) {
      expect(() => plainSizeOf(size), String(size)).toThrow(CiphertextError);
    }
  });
});
