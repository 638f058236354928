import type { StagingSweep } from '../staging-owner.js';

export interface BlobDriver {
  /** Writes to a temp file, computes the digest's algorithm (sha256 or sha512) while streaming, verifies it equals `digest`, fsyncs, renames into place. Idempotent when the blob exists. Throws DigestMismatchError (temp file removed, nothing stored) on mismatch. */
  put(digest: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /**
   * Moves a local file whose digest the caller has already verified to be `digest` (an upload
   * hashed while it streamed) into the store, so a 1 GiB layer is not read a second time.
   * The file is gone afterwards (or on its way, freed in the background, when the content was
   * stored already). `durable`: the caller has already fsynced the file's content
   * (an upload's last chunk does, while the blob is recorded) and knows its size.
   */
  adopt(digest: string, file: string, durable?: { size: number }): Promise<{ size: number }>;
  /**
   * Optional: moves a local file of stored bytes (an upload's ciphertext, fsynced by the
   * caller) into place as blob `digest`, atomically replacing whatever is stored there
   * (plaintext from before, or ciphertext whose key was destroyed). Drivers that keep blobs in
   * local files have it; the caller of the others copies through putStored.
   */
  adoptStored?(digest: string, file: string): Promise<void>;
  /**
   * Stores exactly these bytes under `digest`, replacing what is stored there (atomically: temp +
   * rename, or an S3 PUT), verifying the bytes' own sha256 equals `expect.sha256` (hex) and their
   * length `expect.size`; not the content digest, since stored bytes may be ciphertext.
   * Used by encryption, encrypt-existing, backup restore and migrate. Throws
   * StoredBytesMismatchError (nothing stored, what was there stays) on mismatch.
   */
  putStored(
    digest: string,
    data: AsyncIterable<Uint8Array> | Uint8Array,
    expect: { sha256: string; size: number },
  ): Promise<{ size: number }>;
  /** null when absent. Range is inclusive [start, end]. */
  get(
    digest: string,
    range?: { start: number; end: number },
  ): Promise<NodeJS.ReadableStream | null>;
  /**
   * Optional: the blob opened for reads at positions the caller chooses, so that a pull can
   * read into buffers it reuses. A stream allocates a buffer per chunk, and at 1 MiB chunks
   * garbage collection was a third of a pull's server time. null when absent.
   */
  openReader?(digest: string): Promise<BlobReader | null>;
  /**
   * Optional: a URL from which anyone holding it may GET the blob's bytes (Range included)
   * for the next `seconds`, without Berth: S3's presigned URLs. Signing asks nothing of the
   * store, so whether the blob exists is the caller's to have checked.
   */
  presignedUrl?(digest: string, seconds: number): Promise<string>;
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

export interface BlobReader {
  size: number;
  /** Reads up to `length` bytes at `position` into `buffer`; 0 at the end. */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
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

/** putStored's bytes were not the ones the caller vouched for (sha256 or length). */
export class StoredBytesMismatchError extends Error {
  override readonly name = 'StoredBytesMismatchError';

  constructor(
    readonly expected: { sha256: string; size: number },
    readonly actual: { sha256: string; size: number },
  ) {
    super(
      `stored bytes (sha256 ${actual.sha256}, ${actual.size} bytes) do not match the expected sha256 ${expected.sha256}, ${expected.size} bytes`,
    );
  }
}

/** Throws StoredBytesMismatchError unless the bytes putStored received are the expected ones. */
export function checkStoredBytes(
  expected: { sha256: string; size: number },
  actual: { sha256: string; size: number },
): void {
  if (actual.sha256 !== expected.sha256 || actual.size !== expected.size) {
    throw new StoredBytesMismatchError(expected, actual);
  }
}

/** Throws RangeError unless putStored's `expect` is well formed (a hex sha256 and a size). */
export function checkStoredExpectation(expected: { sha256: string; size: number }): void {
  if (
    typeof expected?.sha256 !== 'string' ||
    !/^[a-f0-9]{64}$/.test(expected.sha256) ||
    !Number.isSafeInteger(expected.size) ||
    expected.size < 0
  ) {
    throw new RangeError('putStored needs expect = { sha256: 64 lowercase hex digits, size ≥ 0 }');
  }
}

export class InvalidDigestError extends Error {
  override readonly name = 'InvalidDigestError';
}

/**
 * The algorithms drivers store: the two the OCI image-spec registers. Each has its own tree
 * (`blobs/sha256/…`, `blobs/sha512/…`), so a sha256 store stays laid out as it always was.
 */
export const BLOB_ALGORITHMS = ['sha256', 'sha512'] as const;
export type BlobAlgorithm = (typeof BLOB_ALGORITHMS)[number];

// The anchored pattern is what keeps a digest such as `sha256:../../etc` from ever reaching
// the filesystem.
const DIGEST = /^(?:sha256:([a-f0-9]{64})|sha512:([a-f0-9]{128}))$/;

/** The algorithm and hex part of a sha256 or sha512 digest, or throws InvalidDigestError. */
export function parseDigest(digest: string): { algorithm: BlobAlgorithm; hex: string } {
  const m = typeof digest === 'string' ? DIGEST.exec(digest) : null;
  if (m?.[1] !== undefined) return { algorithm: 'sha256', hex: m[1] };
  if (m?.[2] !== undefined) return { algorithm: 'sha512', hex: m[2] };
  throw new InvalidDigestError(
    `invalid digest ${JSON.stringify(digest)}: expected "sha256:" and 64 lowercase hex digits, or "sha512:" and 128`,
  );
}

/** Throws RangeError unless `range` is an inclusive byte range some blob could satisfy. */
export function checkRange(range: { start: number; end: number }): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
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
  checkRange(range);
  const { start, end } = range;
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
