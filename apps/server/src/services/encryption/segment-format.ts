import crypto from 'node:crypto';

/**
 * The at-rest format of an encrypted blob (issue 18): a header, then the plaintext in segments
 * of 64 KiB, each sealed on its own with AES-256-GCM, so a Range read decrypts only the
 * segments it returns and a push streams with one segment in memory.
 *
 *   header  = "BERTHENC" | version (1 byte) | 3 zero bytes | segment size (u32 BE) | nonce prefix (8 random bytes)
 *   segment = ciphertext (up to segment size) | GCM tag (16)
 *
 * Segment i's nonce is prefix | u32 BE i (unique per file; the prefix is random per file, and a
 * blob's key only ever encrypts the few copies written of that one blob). Its additional data
 * is the header, the blob's digest, i and whether it is the last segment, so a segment moved
 * to another position or blob, a truncated file (its new last segment was not sealed as last)
 * and an altered header all fail to authenticate. Every blob has at least one segment (the
 * empty blob: one empty last segment), so stored size = header + plaintext + 16 per segment,
 * and the plaintext size follows from the stored size.
 */

export const MAGIC = Buffer.from('BERTHENC', 'latin1');
export const FORMAT_VERSION = 1;
export const SEGMENT_BYTES = 65_536;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 24;
const KEY_BYTES = 32;

/** The stored bytes are not what this key sealed for this blob: altered, truncated or misplaced. */
export class CiphertextError extends Error {
  override readonly name = 'CiphertextError';
}

export interface SegmentHeader {
  /** The header's bytes, bound into every segment. */
  bytes: Buffer;
  segmentBytes: number;
  noncePrefix: Buffer;
}

export function newHeader(noncePrefix: Buffer = crypto.randomBytes(8)): SegmentHeader {
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes[8] = FORMAT_VERSION;
  bytes.writeUInt32BE(SEGMENT_BYTES, 12);
  noncePrefix.copy(bytes, 16);
  return { bytes, segmentBytes: SEGMENT_BYTES, noncePrefix: Buffer.from(noncePrefix) };
}

/** True when the bytes start like an encrypted blob (a plaintext blob from before does not). */
export function looksEncrypted(start: Uint8Array): boolean {
  return start.length >= MAGIC.length && Buffer.from(start.subarray(0, MAGIC.length)).equals(MAGIC);
}

/** Throws CiphertextError for anything but a version-1 header with 64 KiB segments. */
export function parseHeader(start: Uint8Array): SegmentHeader {
  if (start.length < HEADER_BYTES || !looksEncrypted(start)) {
    throw new CiphertextError('the stored blob has no encryption header');
  }
  const bytes = Buffer.from(start.subarray(0, HEADER_BYTES));
  if (bytes[8] !== FORMAT_VERSION || bytes.readUIntBE(9, 3) !== 0) {
    throw new CiphertextError(`the stored blob's encryption header has an unknown version`);
  }
  const segmentBytes = bytes.readUInt32BE(12);
  if (segmentBytes !== SEGMENT_BYTES) {
    throw new CiphertextError(
      `the stored blob's encryption header names ${segmentBytes}-byte segments`,
    );
  }
  return { bytes, segmentBytes, noncePrefix: Buffer.from(bytes.subarray(16, 24)) };
}

export function segmentCount(plainSize: number, segmentBytes = SEGMENT_BYTES): number {
  return Math.max(1, Math.ceil(plainSize / segmentBytes));
}

export function storedSizeOf(plainSize: number, segmentBytes = SEGMENT_BYTES): number {
  return HEADER_BYTES + plainSize + TAG_BYTES * segmentCount(plainSize, segmentBytes);
}

/** Throws CiphertextError when no plaintext encrypts to that many bytes. */
export function plainSizeOf(storedSize: number, segmentBytes = SEGMENT_BYTES): number {
  const body = storedSize - HEADER_BYTES;
  const segments = Math.ceil(body / (segmentBytes + TAG_BYTES));
  const plain = body - TAG_BYTES * segments;
  if (body < TAG_BYTES || plain < 0 || storedSizeOf(plain, segmentBytes) !== storedSize) {
    throw new CiphertextError(`${storedSize} bytes is not the size of an encrypted blob`);
  }
  return plain;
}

function nonceOf(header: SegmentHeader, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  header.noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function aadOf(header: SegmentHeader, digest: string, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = last ? 1 : 0;
  return Buffer.concat([header.bytes, Buffer.from(digest, 'latin1'), tail]);
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError('a blob key is 32 bytes');
}

export function sealSegment(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  plain: Uint8Array,
): Buffer {
  checkKey(key);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonceOf(header, index));
  cipher.setAAD(aadOf(header, digest, index, last));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Throws CiphertextError unless the segment authenticates in exactly this place. */
export function openSegment(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  sealed: Uint8Array,
): Buffer {
  checkKey(key);
  if (sealed.length < TAG_BYTES) {
    throw new CiphertextError(`segment ${index} of ${digest} is cut short`);
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonceOf(header, index));
  decipher.setAAD(aadOf(header, digest, index, last));
  decipher.setAuthTag(Buffer.from(sealed.subarray(sealed.length - TAG_BYTES)));
  try {
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    // GCM's final() only checks the tag; it has no bytes to add.
    const rest = decipher.final();
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    throw new CiphertextError(
      `segment ${index} of ${digest} does not authenticate: the stored bytes were altered, truncated or belong elsewhere`,
    );
  }
}

/**
 * Encrypts a plaintext stream of exactly `plainSize` bytes: yields the header, then the
 * ciphertext as it comes and each segment's tag. Knowing the size up front says which segment
 * is the last before its first byte, so every byte goes straight through the cipher: nothing
 * is buffered or copied (a source that ends early or runs long throws).
 */
export async function* encryptStream(
  key: Buffer,
  digest: string,
  source: AsyncIterable<Uint8Array>,
  plainSize: number,
  header: SegmentHeader = newHeader(),
): AsyncGenerator<Buffer> {
  checkKey(key);
  yield header.bytes;
  const size = header.segmentBytes;
  const count = segmentCount(plainSize, size);
  let index = 0;
  let filled = 0;
  let seen = 0;
  const start = (i: number) => {
    const c = crypto.createCipheriv('aes-256-gcm', key, nonceOf(header, i));
    c.setAAD(aadOf(header, digest, i, i === count - 1));
    return c;
  };
  let cipher = start(0);
  for await (const chunk of source) {
    seen += chunk.length;
    if (seen > plainSize) {
      throw new RangeError(`the plaintext of ${digest} is longer than its ${plainSize} bytes`);
    }
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(size - filled, chunk.length - offset);
      const out = cipher.update(chunk.subarray(offset, offset + n));
      if (out.length > 0) yield out;
      filled += n;
      offset += n;
      if (filled === size && index < count - 1) {
        const tail = cipher.final();
        yield tail.length > 0 ? Buffer.concat([tail, cipher.getAuthTag()]) : cipher.getAuthTag();
        index += 1;
        filled = 0;
        cipher = start(index);
      }
    }
  }
  if (seen !== plainSize) {
    throw new RangeError(
      `the plaintext of ${digest} ended after ${seen} of its ${plainSize} bytes`,
    );
  }
  const tail = cipher.final();
  yield tail.length > 0 ? Buffer.concat([tail, cipher.getAuthTag()]) : cipher.getAuthTag();
}

/** Which stored bytes hold plaintext bytes [start, end] (inclusive) of a blob of `plainSize`. */
export interface SegmentPlan {
  first: number;
  last: number;
  /** Segments the blob has: the last of them is sealed as the last. */
  count: number;
  /** Stored byte range to read (inclusive). */
  storedStart: number;
  storedEnd: number;
  /** Plaintext bytes to drop from the first decrypted segment, and to send in all. */
  skip: number;
  length: number;
}

export function planRange(
  plainSize: number,
  range?: { start: number; end: number },
  segmentBytes = SEGMENT_BYTES,
): SegmentPlan {
  const count = segmentCount(plainSize, segmentBytes);
  const start = range?.start ?? 0;
  const end = range ? Math.min(range.end, plainSize - 1) : plainSize - 1;
  const first = Math.floor(start / segmentBytes);
  // An empty blob (end -1) is its one empty segment.
  const last = plainSize === 0 ? 0 : Math.floor(end / segmentBytes);
  const stride = segmentBytes + TAG_BYTES;
  const storedStart = HEADER_BYTES + first * stride;
  const lastPlain = last === count - 1 ? plainSize - last * segmentBytes : segmentBytes;
  const storedEnd = HEADER_BYTES + last * stride + lastPlain + TAG_BYTES - 1;
  return {
    first,
    last,
    count,
    storedStart,
    storedEnd,
    skip: start - first * segmentBytes,
    length: Math.max(0, end - start + 1),
  };
}

/**
 * Decrypts the stored bytes `plan` named (a stream of them, in any chunking) and yields
 * exactly the plaintext asked for. A segment that does not authenticate throws
 * CiphertextError before any of its bytes are yielded.
 */
export async function* decryptSegments(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  plainSize: number,
  plan: SegmentPlan,
  stored: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const size = header.segmentBytes;
  const stride = size + TAG_BYTES;
  const sealedLength = (i: number) =>
    (i === plan.count - 1 ? plainSize - i * size : size) + TAG_BYTES;
  let index = plan.first;
  let want = sealedLength(index);
  const pending = Buffer.allocUnsafe(stride);
  let filled = 0;
  let skip = plan.skip;
  let left = plan.length;
  const emit = (plain: Buffer): Buffer | null => {
    const from = Math.min(skip, plain.length);
    skip -= from;
    const piece = plain.subarray(from, from + left);
    left -= piece.length;
    return piece.length > 0 ? piece : null;
  };
  for await (const chunk of stored) {
    let offset = 0;
    while (offset < chunk.length) {
      if (index > plan.last) {
        throw new CiphertextError(`the stored blob ${digest} is longer than its recorded size`);
      }
      if (filled === 0 && chunk.length - offset >= want) {
        // A whole segment in the chunk: decrypted where it is, without a copy.
        const plain = openSegment(
          key,
          header,
          digest,
          index,
          index === plan.count - 1,
          chunk.subarray(offset, offset + want),
        );
        offset += want;
        const piece = emit(plain);
        if (piece) yield piece;
        index += 1;
        if (index <= plan.last) want = sealedLength(index);
        continue;
      }
      const n = Math.min(want - filled, chunk.length - offset);
      Buffer.from(chunk.buffer, chunk.byteOffset + offset, n).copy(pending, filled);
      filled += n;
      offset += n;
      if (filled === want) {
        const plain = openSegment(
          key,
          header,
          digest,
          index,
          index === plan.count - 1,
          pending.subarray(0, want),
        );
        // openSegment returns a new buffer, so `pending` is free for the next segment at once.
        const piece = emit(plain);
        if (piece) yield piece;
        index += 1;
        filled = 0;
        if (index <= plan.last) want = sealedLength(index);
      }
    }
  }
  if (index <= plan.last) {
    throw new CiphertextError(`the stored blob ${digest} ends before its recorded size`);
  }
}
