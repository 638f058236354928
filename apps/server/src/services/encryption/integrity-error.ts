import { CiphertextError } from './segment-format.js';

/** The blob is encrypted and no key that could read it exists any more (crypto-shredded). */
export class ImageDataUnreadableError extends Error {
  override readonly name = 'ImageDataUnreadableError';
}

/** What did not authenticate: a manifest row (`manifests.content`) or a blob's stored bytes. */
export type IntegritySubject = 'manifest' | 'blob';

/**
 * Why it cannot be served. `altered`: a key exists and the stored bytes do not open under it
 * (changed, truncated, or copied from another digest or namespace). `key-altered`: a stored key
 * that opens them does not itself authenticate (the namespace's key under the root key, or the
 * blob's key under the namespace's): a key row was changed or copied, and the bytes may be
 * intact. `key-destroyed`: no key that could open them exists any more (crypto-shredded with
 * its namespace, or its key rows lost): the bytes may be intact, but nobody can read them.
 */
export type IntegrityReason = 'altered' | 'key-altered' | 'key-destroyed';

/**
 * Written for the registry client, the console and the administrator at once: which object,
 * what the server found, that nothing was served, and the one remedy that works. A push of the
 * same content does not repair it: the registry keeps the row (or blob) it has for that digest.
 */
function integrityMessage(
  subject: IntegritySubject,
  digest: string,
  reason: IntegrityReason,
): string {
  const what = `the stored ${subject} ${digest} failed its integrity check`;
  if (reason === 'altered') {
    const found =
      subject === 'manifest'
        ? "its sealed bytes do not open under its namespace's key (they were altered, or copied from another image or namespace)"
        : 'its encrypted bytes do not authenticate under its key (they were altered, truncated, or copied from another blob)';
    return `${what}: ${found}. It was not served. An administrator can restore it from a backup taken before the change`;
  }
  if (reason === 'key-altered') {
    return `${what}: a stored key that opens it does not authenticate (a key row in the database was altered, or copied from another namespace or blob). It was not served. An administrator can restore the database from a backup taken before the change`;
  }
  const found =
    subject === 'manifest'
      ? "it is sealed under its namespace's key, which no longer exists"
      : 'it is encrypted and no key that opens it exists any more';
  return `${what}: ${found} (destroyed with its namespace, or lost), so it cannot be read. It was not served. An administrator can restore it from a backup taken before the key was destroyed, with the root key of that time`;
}

/**
 * Stored image data that does not authenticate (issue 18) and so is never served. One typed
 * error for every reader, mapped once in each error mapper (oci/errors.ts for /v2,
 * api/error-middleware.ts for /api): always a 500, since the request was fine and the
 * registry's own data is not, and always these words rather than the generic "something went
 * wrong". The message names the digest only: no key material, no plaintext.
 */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  /** The /api error code. */
  readonly code = 'INTEGRITY_FAILURE';

  constructor(
    readonly subject: IntegritySubject,
    readonly digest: string,
    readonly reason: IntegrityReason,
    options?: { cause?: unknown },
  ) {
    super(integrityMessage(subject, digest, reason), options);
  }

  /** What a client can act on without parsing the message. */
  get details(): { subject: IntegritySubject; digest: string; reason: IntegrityReason } {
    return { subject: this.subject, digest: this.digest, reason: this.reason };
  }
}

/**
 * The IntegrityError a failure to read blob `digest` stands for, or null when it is another
 * failure. `open`: thrown while opening it, before any byte was read; there an
 * ImageDataUnreadableError always means its key is gone (a blob missing altogether is not
 * thrown but answered as not stored). `read`: thrown by a read, where only CiphertextError is
 * about the bytes (an ImageDataUnreadableError there is a blob removed meanwhile).
 */
export function blobIntegrityError(
  digest: string,
  error: unknown,
  stage: 'open' | 'read',
): IntegrityError | null {
  if (error instanceof IntegrityError) return error;
  if (error instanceof CiphertextError) {
    return new IntegrityError('blob', digest, 'altered', { cause: error });
  }
  if (stage === 'open' && error instanceof ImageDataUnreadableError) {
    return new IntegrityError('blob', digest, 'key-destroyed', { cause: error });
  }
  return null;
}
