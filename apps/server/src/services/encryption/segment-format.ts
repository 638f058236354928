import crypto from 'node:crypto';

/**
 * The at-rest format of an encrypted blob (issue 18): a header, then the plaintext in segments
 * of 64 KiB, each sealed on its own with AES-256-GCM, so a Range read decrypts only the
 * segments it returns and a push streams with one segment in memory.
 *
 *   header     = "BERTHENC" | version (1 byte) | 3 zero bytes | segment size (u32 BE) | 8 random bytes
 *   segment v1 = ciphertext (up to segment size) | GCM tag (16)
 *   segment v2 = nonce (12 random bytes) | ciphertext (up to segment size) | GCM tag (16)
 *
 * Version 1 (written until uploads were encrypted as they arrive): segment i's nonce is the
 * header's 8 random bytes | u32 BE i, and its additional data is the header, the blob's digest,
 * i and whether it is the last segment.
 *
 * Version 2 (written now): the digest is not known while an upload streams in, so it is not in
 * the additional data (header | i | last). The blob's random key still ties the ciphertext to
 * one digest: its wraps are bound to the digest (image-data-keys.ts), so bytes moved to another
 * digest are opened with another key and fail. Each segment carries its own random nonce,
 * because an upload seals segments before the client has finished and may have to seal the
 * same position again (a chunk that failed half-way and is sent again, an upload that was
 * sealed as finished and then grew): a nonce derived from the position would then be used
 * twice under one key, which in GCM gives away the authentication key. 96 random bits per 64
 * KiB stay far inside GCM's limit for random nonces (2^32 per key: 256 TiB in one blob). A
 * writer that encrypts a whole blob in one pass may derive them from the position instead
 * (see segmentCipher); the reader takes whatever nonce the segment carries.
 *
 * In both, a segment moved to another position or file, a truncated file (its new last
 * segment was not sealed as last) and an altered header fail to authenticate. Every blob has
 * at least one segment (the empty blob: one empty last segment), so stored size = header +
 * plaintext + overhead per segment, and the plaintext size follows from the stored size.
 */

export const MAGIC = Buffer.from('BERTHENC', 'latin1');
/** What writers write; readers take version 1 as well. */
export const FORMAT_VERSION = 2;
export type FormatVersion = 1 | 2;
export const SEGMENT_BYTES = 65_536;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
export const HEADER_BYTES = 24;
const KEY_BYTES = 32;

/** Stored bytes per segment beyond its plaintext. */
export function overheadOf(version: FormatVersion): number {
  return version === 1 ? TAG_BYTES : NONCE_BYTES + TAG_BYTES;
}
/** The overhead of what is written now. */
export const SEGMENT_OVERHEAD = overheadOf(FORMAT_VERSION);

/** The stored bytes are not what this key sealed for this blob: altered, truncated or misplaced. */
export class CiphertextError extends Error {
  override readonly name = 'CiphertextError';
}

export interface SegmentHeader {
  /** The header's bytes, bound into every segment. */
  bytes: Buffer;
  version: FormatVersion;
  segmentBytes: number;
  /** Stored bytes per segment beyond its plaintext (overheadOf(version)). */
  overhead: number;
  /** Version 1: the first 8 bytes of every segment's nonce; version 2: only bound in. */
  noncePrefix: Buffer;
}

export function newHeader(
  noncePrefix: Buffer = crypto.randomBytes(8),
  version: FormatVersion = FORMAT_VERSION,
): SegmentHeader {
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes[8] = version;
  bytes.writeUInt32BE(SEGMENT_BYTES, 12);
  noncePrefix.copy(bytes, 16);
  return {
    bytes,
    version,
    segmentBytes: SEGMENT_BYTES,
    overhead: overheadOf(version),
    noncePrefix: Buffer.from(noncePrefix),
  };
}

/** True when the bytes start like an encrypted blob (a plaintext blob from before does not). */
export function looksEncrypted(start: Uint8Array): boolean {
  return start.length >= MAGIC.length && Buffer.from(start.subarray(0, MAGIC.length)).equals(MAGIC);
}

/** Throws CiphertextError for anything but a version 1 or 2 header with 64 KiB segments. */
export function parseHeader(start: Uint8Array): SegmentHeader {
  if (start.length < HEADER_BYTES || !looksEncrypted(start)) {
    throw new CiphertextError('the stored blob has no encryption header');
  }
  const bytes = Buffer.from(start.subarray(0, HEADER_BYTES));
  const version = bytes[8];
  if ((version !== 1 && version !== 2) || bytes.readUIntBE(9, 3) !== 0) {
    throw new CiphertextError(`the stored blob's encryption header has an unknown version`);
  }
  const segmentBytes = bytes.readUInt32BE(12);
  if (segmentBytes !== SEGMENT_BYTES) {
    throw new CiphertextError(
      `the stored blob's encryption header names ${segmentBytes}-byte segments`,
    );
  }
  return {
    bytes,
    version,
    segmentBytes,
    overhead: overheadOf(version),
    noncePrefix: Buffer.from(bytes.subarray(16, 24)),
  };
}

export function segmentCount(plainSize: number, segmentBytes = SEGMENT_BYTES): number {
  return Math.max(1, Math.ceil(plainSize / segmentBytes));
}

export function storedSizeOf(plainSize: number, version: FormatVersion = FORMAT_VERSION): number {
  return HEADER_BYTES + plainSize + overheadOf(version) * segmentCount(plainSize);
}

/** Throws CiphertextError when no plaintext encrypts to that many bytes. */
export function plainSizeOf(storedSize: number, version: FormatVersion = FORMAT_VERSION): number {
  const overhead = overheadOf(version);
  const body = storedSize - HEADER_BYTES;
  const segments = Math.ceil(body / (SEGMENT_BYTES + overhead));
  const plain = body - overhead * segments;
  if (body < overhead || plain < 0 || storedSizeOf(plain, version) !== storedSize) {
    throw new CiphertextError(`${storedSize} bytes is not the size of an encrypted blob`);
  }
  return plain;
}

/** Where segment i starts in the stored bytes. */
export function segmentOffset(
  index: number,
  header: { overhead: number } = { overhead: SEGMENT_OVERHEAD },
) {
  return HEADER_BYTES + index * (SEGMENT_BYTES + header.overhead);
}

function v1NonceOf(header: SegmentHeader, index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  header.noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function aadOf(header: SegmentHeader, digest: string, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = last ? 1 : 0;
  return header.version === 1
    ? Buffer.concat([header.bytes, Buffer.from(digest, 'latin1'), tail])
    : Buffer.concat([header.bytes, tail]);
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError('a blob key is 32 bytes');
}

/**
 * What sealing segment i takes besides its key and plaintext: its nonce, its additional data,
 * and what precedes its ciphertext in the stored bytes (version 2: the nonce). `digest` is
 * bound in by version 1 only. `fromPosition`: the nonce is derived as in version 1 (header's
 * random bytes | i); only for a writer that seals each position of a file once, in one pass
 * (encryptStream), so that two passes with one header give the same bytes (encryptStored
 * hashes, then stores). Anything that may seal a position again (uploads) takes a random nonce.
 */
export function sealInputs(
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  fromPosition = false,
) {
  const nonce =
    header.version === 1 || fromPosition
      ? v1NonceOf(header, index)
      : crypto.randomBytes(NONCE_BYTES);
  return {
    nonce,
    aad: aadOf(header, digest, index, last),
    prefix: header.version === 1 ? null : nonce,
  };
}

/**
 * What opening segment i takes besides its key: its nonce, additional data and where its
 * ciphertext starts in `sealed` (its stored bytes; the tag is their last 16). Throws
 * CiphertextError for a segment too short to hold its own nonce and tag.
 */
export function openInputs(
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  sealed: Uint8Array,
) {
  if (sealed.length < header.overhead) {
    throw new CiphertextError(`segment ${index} of ${whereOf(digest)} is cut short`);
  }
  const skip = header.overhead - TAG_BYTES;
  return {
    nonce: header.version === 1 ? v1NonceOf(header, index) : Buffer.from(sealed.subarray(0, skip)),
    aad: aadOf(header, digest, index, last),
    skip,
  };
}

const whereOf = (digest: string) => (digest === '' ? 'the upload' : digest);

/** The error for a segment whose tag does not match, wherever it was opened. */
export function unauthenticSegment(digest: string, index: number): CiphertextError {
  return new CiphertextError(
    `segment ${index} of ${whereOf(digest)} does not authenticate: the stored bytes were altered, truncated or belong elsewhere`,
  );
}

function segmentCipher(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  fromPosition = false,
) {
  const { nonce, aad, prefix } = sealInputs(header, digest, index, last, fromPosition);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return { cipher, prefix };
}

export function sealSegment(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  plain: Uint8Array,
): Buffer {
  return Buffer.concat(sealSegmentParts(key, header, digest, index, last, plain));
}

/** As sealSegment, in the pieces it is made of (nonce, ciphertext, tag): a writev takes them without a copy. */
export function sealSegmentParts(
  key: Buffer,
  header: SegmentHeader,
  digest: string,
  index: number,
  last: boolean,
  plain: Uint8Array,
): Buffer[] {
  checkKey(key);
  const { cipher, prefix } = segmentCipher(key, header, digest, index, last);
  const body = cipher.update(plain);
  cipher.final(); // GCM adds no bytes at the end
  return prefix ? [prefix, body, cipher.getAuthTag()] : [body, cipher.getAuthTag()];
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
  const { nonce, aad, skip } = openInputs(header, digest, index, last, sealed);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(Buffer.from(sealed.subarray(sealed.length - TAG_BYTES)));
  try {
    const plain = decipher.update(sealed.subarray(skip, sealed.length - TAG_BYTES));
    // GCM's final() only checks the tag; it has no bytes to add.
    const rest = decipher.final();
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    throw unauthenticSegment(digest, index);
  }
}

const TAIL_AAD = Buffer.from('berth:upload-tail:v1', 'latin1');

function tailAad(header: SegmentHeader, segments: number): Buffer {
  const at = Buffer.alloc(4);
  at.writeUInt32BE(segments, 0);
  return Buffer.concat([TAIL_AAD, header.bytes, at]);
}

/**
 * Seals the plaintext an upload holds past its last sealed segment (up to one segment), to be
 * kept between its requests: nonce (12 random bytes) | ciphertext | tag. Bound to the upload's
 * header and to the number of segments before it, and under its own additional data, so a
 * tail is never taken for a segment, nor an old tail for a newer one.
 */
export function sealTail(key: Buffer, header: SegmentHeader, segments: number, plain: Uint8Array) {
  checkKey(key);
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(tailAad(header, segments));
  const body = cipher.update(plain);
  cipher.final();
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Throws CiphertextError unless `sealed` is the tail sealTail made for this place. */
export function openTail(key: Buffer, header: SegmentHeader, segments: number, sealed: Uint8Array) {
  checkKey(key);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new CiphertextError(`the upload's sealed tail is cut short`);
  }
  const decipher = crypto.createDecipheriv(
    'aes-256-gcm',
    key,
    Buffer.from(sealed.subarray(0, NONCE_BYTES)),
  );
  decipher.setAAD(tailAad(header, segments));
  decipher.setAuthTag(Buffer.from(sealed.subarray(sealed.length - TAG_BYTES)));
  try {
    const plain = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
    decipher.final();
    return plain;
  } catch {
    throw new CiphertextError(`the upload's sealed tail does not authenticate`);
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
  let pending: Buffer | null = null;
  const start = (i: number) => {
    const { cipher, prefix } = segmentCipher(key, header, digest, i, i === count - 1, true);
    // Version 2's nonce goes out with the segment's first bytes.
    pending = prefix;
    return cipher;
  };
  const withPrefix = (out: Buffer): Buffer => {
    if (!pending) return out;
    const joined = Buffer.concat([pending, out]);
    pending = null;
    return joined;
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
      if (out.length > 0) yield withPrefix(out);
      filled += n;
      offset += n;
      if (filled === size && index < count - 1) {
        cipher.final();
        yield withPrefix(cipher.getAuthTag());
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
  cipher.final();
  yield withPrefix(cipher.getAuthTag());
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

/** `overhead`: the stored blob's (its header's); what is written now when absent. */
export function planRange(
  plainSize: number,
  range?: { start: number; end: number },
  overhead = SEGMENT_OVERHEAD,
): SegmentPlan {
  const segmentBytes = SEGMENT_BYTES;
  const count = segmentCount(plainSize, segmentBytes);
  const start = range?.start ?? 0;
  const end = range ? Math.min(range.end, plainSize - 1) : plainSize - 1;
  const first = Math.floor(start / segmentBytes);
  // An empty blob (end -1) is its one empty segment.
  const last = plainSize === 0 ? 0 : Math.floor(end / segmentBytes);
  const stride = segmentBytes + overhead;
  const storedStart = HEADER_BYTES + first * stride;
  const lastPlain = last === count - 1 ? plainSize - last * segmentBytes : segmentBytes;
  const storedEnd = HEADER_BYTES + last * stride + lastPlain + overhead - 1;
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
  const stride = size + header.overhead;
  const sealedLength = (i: number) =>
    (i === plan.count - 1 ? plainSize - i * size : size) + header.overhead;
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
