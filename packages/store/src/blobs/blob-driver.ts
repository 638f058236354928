import type { StagingSweep } from '../staging-owner.js';

export interface BlobDriver {
  /** Writes to a temp file, computes sha256 while streaming, verifies it equals `digest`, fsyncs, renames into place. Idempotent when the blob exists. Throws DigestMismatchError (temp file removed, nothing stored) on mismatch. */
  put(digest: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /**
   * Moves a local file whose sha256 the caller has already verified to be `digest` (an upload
   * hashed while it streamed) into the store, so a 1 GiB layer is not read a second time.
   * The file is gone afterwards.
   */
  adopt(digest: string, file: string): Promise<{ size: number }>;
  /** null when absent. Range is inclusive [start, end]. */
  get(
    digest: string,
    range?: { start: number; end: number },
  ): Promise<NodeJS.ReadableStream | null>;
  readAll(digest: string): Promise<Buffer | null>;
  stat(digest: string): Promise<{ size: number } | null>;
  /** true if something was deleted. */
  delete(digest: string): Promise<boolean>;
  /** Every stored digest (for garbage collection). */
  list(): AsyncIterable<string>;
  /**
   * Removes stray staging files: writes whose process has ended (killed mid-put) and files
   * nobody has touched for an hour. With `dryRun` it only counts them. Run at start-up and by GC.
   */
  sweepStaging(opts?: { dryRun?: boolean }): Promise<StagingSweep>;
}

export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';

  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`content digest ${actual} does not match expected digest ${expected}`);
  }
}

export class InvalidDigestError extends Error {
  override readonly name = 'InvalidDigestError';
}

// Drivers accept only sha256 even though OCI also allows sha512: every blob path and every
// digest check in Berth assumes one algorithm, and the anchored pattern is what keeps a digest
// such as `sha256:../../etc` from ever reaching the filesystem.
const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

/** Returns the 64-character hex part of a sha256 digest, or throws InvalidDigestError. */
export function parseSha256Digest(digest: string): string {
  const hex = typeof digest === 'string' ? SHA256_DIGEST.exec(digest)?.[1] : undefined;
  if (hex === undefined) {
    throw new InvalidDigestError(
      `invalid digest ${JSON.stringify(digest)}: expected "sha256:" followed by 64 lowercase hex digits`,
    );
  }
  return hex;
}

/**
 * Checks an inclusive byte range against a blob of `size` bytes and clamps `end` to the last
 * byte, as HTTP Range does. Throws RangeError when nothing in the blob can satisfy it, so the
 * HTTP layer can answer 416.
 */
export function resolveRange(
  range: { start: number; end: number },
  size: number,
): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
  if (start >= size) {
    throw new RangeError(`byte range ${start}-${end} starts beyond the blob's ${size} bytes`);
  }
  return { start, end: Math.min(end, size - 1) };
}

export function toAsyncIterable(
  data: Uint8Array | AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) {
    return (async function* () {
      yield data;
    })();
  }
  return data;
}
