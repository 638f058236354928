import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '@berth/domain';
import type { Store } from '@berth/store';
import { type Keyring, NotAuthenticError } from '../projects/keyring.js';
import { IntegrityError } from './integrity-error.js';

const KEY_BYTES = 32;
/** Claims lost to a concurrent writer whose wrap is not visible yet, before giving up. */
const CLAIM_ATTEMPTS = 20;

/** Wrapped by a root key; distinct from projects' `berth:data-key:v1:…`. */
export const namespaceKeyContext = (namespaceId: number) => `berth:namespace-key:v1:${namespaceId}`;
/** A blob's key wrapped by a namespace key: bound to both, so a wrap moved elsewhere fails. */
const blobKeyContext = (namespaceId: number, digest: string) =>
  `berth:blob-key:v1:${namespaceId}:${digest}`;

/**
 * Unwrapped namespace keys are kept this long, for reads and writes alike: a small push reads
 * its namespace's key seven times (a sixth of what encryption added to it, measured). A
 * namespace's key never changes while the namespace exists (rotating the root key re-wraps the
 * same key, and ids are never reused), so a kept key is the stored one; a reader that fails to
 * authenticate with one asks again (`fresh`) before calling data altered. After a namespace is
 * deleted its key may stay in a process's memory this long, never on disk.
 */
const KEY_TTL_MS = 10_000;
const MAX_CACHED_KEYS = 256;

/** An upload session's key wrapped by a namespace key (see wrapUploadKey). */
const uploadKeyContext = (namespaceId: number, session: string) =>
  `berth:upload-key:v1:${namespaceId}:${session}`;

/**
 * The keys of image data (issue 18). Each namespace has a random data key, wrapped by the
 * operator's root key and created on its first encrypted write. Each blob has its own random
 * key, stored once per namespace that holds the blob, wrapped by that namespace's key: the
 * bytes are stored once (deduplicated), and deleting a namespace deletes its wraps and key.
 */
export function createImageDataKeys(store: Store, keyring: Keyring, clock: () => number) {
  const keys = store.imageDataKeys;
  const cache = new Map<number, { key: Buffer; at: number }>();

  function remember(namespaceId: number, key: Buffer): Buffer {
    cache.delete(namespaceId); // re-inserted last: the map's order is the eviction order
    cache.set(namespaceId, { key, at: performance.now() });
    if (cache.size > MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as number);
    return key;
  }

  /**
   * The namespace's key; with `create`, made on its first encrypted write. `fresh`: read from
   * the database even when kept (a reader whose kept key did not open what it read).
   */
  async function namespaceKey(
    namespaceId: number,
    create: boolean,
    { fresh = false }: { fresh?: boolean } = {},
  ): Promise<Buffer | null> {
    const kept = cache.get(namespaceId);
    if (kept && !fresh && performance.now() - kept.at <= KEY_TTL_MS) return kept.key;
    cache.delete(namespaceId);
    let stored = await keys.namespaceKey(namespaceId);
    if (!stored && create) {
      const fresh = keyring.wrapKey(
        namespaceKeyContext(namespaceId),
        crypto.randomBytes(KEY_BYTES),
      );
      // Two processes creating it at once: both use the one that was stored first.
      stored = await keys.createNamespaceKey(
        namespaceId,
        { rootKeyId: fresh.keyId, wrapped: fresh.wrapped },
        clock(),
      );
    }
    if (!stored) return null;
    return remember(
      namespaceId,
      keyring.unwrapKey(namespaceKeyContext(namespaceId), stored.rootKeyId, stored.wrapped),
    );
  }

  /**
   * `open` with the namespace's key: a kept key first, and when `open` throws (what it opens
   * does not authenticate), the stored key, which throws the same way if the data itself is
   * altered. Null when the namespace has no key.
   */
  async function withNamespaceKey<T>(
    namespaceId: number,
    open: (nsKey: Buffer) => T,
  ): Promise<T | null> {
    const nsKey = await namespaceKey(namespaceId, false);
    if (!nsKey) return null;
    try {
      return open(nsKey);
    } catch {
      const stored = await namespaceKey(namespaceId, false, { fresh: true });
      if (!stored) return null;
      return open(stored);
    }
  }

  const wrapFor = (nsKey: Buffer, namespaceId: number, digest: string, blobKey: Buffer) =>
    keyring.seal(nsKey, blobKeyContext(namespaceId, digest), blobKey);

  function unwrapWith(nsKey: Buffer, namespaceId: number, digest: string, wrapped: Buffer) {
    const key = keyring.open(nsKey, blobKeyContext(namespaceId, digest), wrapped);
    if (key.length !== KEY_BYTES) {
      throw new NotAuthenticError(`the key of blob ${digest} is malformed`);
    }
    return key;
  }

  /** A stored key that does not authenticate, as the integrity failure it is for `digest`. */
  function keyAltered(digest: string, error: unknown): unknown {
    return error instanceof NotAuthenticError
      ? new IntegrityError('blob', digest, 'key-altered', { cause: error })
      : error;
  }

  /** The blob's key through the first wrap that opens; one that does not is tried past. */
  async function fromWraps(digest: string, wraps: { namespaceId: number; wrapped: Buffer }[]) {
    let failure: unknown = null;
    for (const wrap of wraps) {
      try {
        const key = await withNamespaceKey(wrap.namespaceId, (nsKey) =>
          unwrapWith(nsKey, wrap.namespaceId, digest, wrap.wrapped),
        );
        // Null: its namespace is being deleted right now, and another wrap will do.
        if (key) return key;
      } catch (error) {
        if (!(error instanceof NotAuthenticError)) throw error;
        failure = error;
      }
    }
    if (failure) throw keyAltered(digest, failure);
    return null;
  }

  /** Records the blob's key for `namespaceId` too (a mount, or bytes it pushed again). */
  async function share(namespaceId: number, digest: string, blobKey: Buffer): Promise<void> {
    const nsKey = await namespaceKey(namespaceId, true);
    if (!nsKey) return; // the namespace was deleted meanwhile: nothing can read through it
    await keys.addWrap(namespaceId, digest, wrapFor(nsKey, namespaceId, digest, blobKey));
  }

  return {
    namespaceKey,
    withNamespaceKey,

    /**
     * The blob's key as `namespaceId` reads it; null when the blob has no key (plaintext, or
     * every namespace holding it was deleted). The caller has checked that the namespace links
     * the blob; one that got no wrap of its own (it linked the blob while encrypt-existing
     * converted it) gets one here.
     */
    async blobKey(namespaceId: number, digest: string): Promise<Buffer | null> {
      const own = await keys.wrapOf(namespaceId, digest);
      if (own) {
        const key = await withNamespaceKey(namespaceId, (nsKey) =>
          unwrapWith(nsKey, namespaceId, digest, own),
        ).catch((error: unknown) => {
          throw keyAltered(digest, error);
        });
        if (!key) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
        return key;
      }
      const key = await fromWraps(digest, await keys.wrapsOf(digest));
      if (key) await share(namespaceId, digest, key);
      return key;
    },

    /**
     * An upload's own key (encrypted as it arrives, before its digest is known), wrapped by
     * the namespace's key for the upload's meta, so another process or a restart can resume
     * it. Bound to the namespace and the session: a wrap copied to another session fails.
     */
    async wrapUploadKey(namespaceId: number, session: string, key: Buffer): Promise<Buffer> {
      const nsKey = await namespaceKey(namespaceId, true);
      if (!nsKey) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
      return keyring.seal(nsKey, uploadKeyContext(namespaceId, session), key);
    },

    async unwrapUploadKey(namespaceId: number, session: string, wrapped: Buffer): Promise<Buffer> {
      const key = await withNamespaceKey(namespaceId, (nsKey) =>
        keyring.open(nsKey, uploadKeyContext(namespaceId, session), wrapped),
      );
      if (!key) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
      if (key.length !== KEY_BYTES)
        throw new NotAuthenticError(`the key of upload ${session} is malformed`);
      return key;
    },

    /** The blob's key through any namespace that holds it (commands that read to copy). */
    anyBlobKey: async (digest: string): Promise<Buffer | null> =>
      fromWraps(digest, await keys.wrapsOf(digest)),

    /**
     * The key a writer encrypts the blob with, recorded for `namespaceId` before any byte is
     * written. `fresh`: this writer chose it, so bytes stored already (plaintext, or the
     * ciphertext of a crypto-shredded key) are not under it and must be replaced.
     * `candidate`: the key the writer has encrypted with already (an upload encrypted as it
     * arrived, under its own random key); a new random one when absent.
     */
    async claim(
      namespaceId: number,
      digest: string,
      candidateKey?: Buffer,
    ): Promise<{ key: Buffer; fresh: boolean }> {
      if (candidateKey && candidateKey.length !== KEY_BYTES) {
        throw new RangeError('a blob key is 32 bytes');
      }
      const candidate = candidateKey ?? crypto.randomBytes(KEY_BYTES);
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const nsKey = await namespaceKey(namespaceId, true);
        if (!nsKey) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
        const claim = await keys.claimBlobKey(
          namespaceId,
          digest,
          wrapFor(nsKey, namespaceId, digest, candidate),
          clock(),
        );
        if (claim.claimed) return { key: candidate, fresh: true };
        const existing = await fromWraps(digest, claim.wraps);
        if (existing) {
          await share(namespaceId, digest, existing);
          return { key: existing, fresh: false };
        }
        await sleep(10 * (attempt + 1));
      }
      throw new Error(`could not settle the key of blob ${digest}; retry the push`);
    },
  };
}

export type ImageDataKeys = ReturnType<typeof createImageDataKeys>;
