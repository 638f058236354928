import { NotFoundError } from '@berth/domain';
import type { Store } from '@berth/store';
import type { Logger } from 'pino';
import { type Keyring, NotAuthenticError } from '../projects/keyring.js';
import { type ImageData, imageDataOf } from './image-data.js';
import { IntegrityError, type IntegrityReason } from './integrity-error.js';

/**
 * Leads every sealed manifest. A stored manifest is JSON (the registry parses it on push), and
 * JSON never starts with `B`: rows stored in plaintext (before encryption, or with it off)
 * are told apart without a migration or a flag column.
 */
export const SEALED_MANIFEST_MAGIC = Buffer.from('BERTHMF1', 'latin1');
/** keyring.seal's framing: a 12-byte nonce before the ciphertext, a 16-byte tag after it. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed manifest adds to its plaintext. */
export const SEALED_MANIFEST_OVERHEAD = SEALED_MANIFEST_MAGIC.length + NONCE_BYTES + TAG_BYTES;

/**
 * Manifests opened lately, by the exact sealed bytes they were opened from: a HEAD or GET of
 * a manifest being pulled again and again (a tag many nodes resolve) then costs a comparison
 * of those bytes instead of a cipher (a fifth of a HEAD's time). Bytes that differ in any way
 * are opened, and authenticated, afresh. Kept 10 s (as long as image-data-keys keeps a
 * namespace's key), in at most 4 MiB.
 */
const OPENED_TTL_MS = 10_000;
const MAX_OPENED_BYTES = 4 * 1024 * 1024;
const MAX_OPENED_MANIFEST = 64 * 1024;

/** Bound into each seal: a sealed row copied to another namespace or digest does not open. */
export const manifestContext = (namespaceId: number, digest: string) =>
  `berth:manifest:v1:${namespaceId}:${digest}`;

export function isSealedManifest(stored: Uint8Array): boolean {
  return (
    stored.length >= SEALED_MANIFEST_MAGIC.length &&
    SEALED_MANIFEST_MAGIC.equals(stored.subarray(0, SEALED_MANIFEST_MAGIC.length))
  );
}

/** A sealed manifest that does not open under its namespace's key. */
class SealNotAuthentic extends Error {}

/** A namespace by id, or by name when the caller has only that (looked up only if needed). */
export type NamespaceRef = number | string;

export interface ManifestSealingOptions {
  imageData: Pick<ImageData, 'encrypting' | 'keys' | 'namespaceId'>;
  keyring: Keyring;
  logger: Logger;
}

/**
 * Manifest bytes at rest (issue 18): sealed with AES-256-GCM under the key of the namespace
 * they are in, when image data is encrypted (`imageData.encrypting()`, the blobs' decision).
 * Stored as `BERTHMF1` + nonce + ciphertext + tag; the digest and size recorded beside them
 * stay those of the plaintext. The store keeps seeing opaque bytes: sealing happens before it
 * writes them, opening after it reads them, and rows in either form are read.
 */
export function createManifestSealing({ imageData, keyring, logger }: ManifestSealingOptions) {
  const opened = new Map<string, { sealed: Buffer; plain: Buffer; at: number }>();
  let openedBytes = 0;

  function forget(id: string) {
    const entry = opened.get(id);
    if (!entry) return;
    opened.delete(id);
    openedBytes -= entry.sealed.length + entry.plain.length;
  }

  function rememberOpened(id: string, stored: Uint8Array, plain: Buffer) {
    if (stored.length > MAX_OPENED_MANIFEST) return;
    forget(id);
    // A copy: the stored bytes may be a view into memory the driver uses again.
    const sealed = Buffer.from(stored);
    opened.set(id, { sealed, plain, at: Date.now() });
    openedBytes += sealed.length + plain.length;
    for (const oldest of opened.keys()) {
      if (openedBytes <= MAX_OPENED_BYTES) break;
      forget(oldest);
    }
  }

  async function idOf(namespace: NamespaceRef): Promise<number> {
    if (typeof namespace === 'number') return namespace;
    const id = await imageData.namespaceId(namespace);
    if (id === null) {
      throw new NotFoundError('NAME_UNKNOWN', `namespace "${namespace}" does not exist`);
    }
    return id;
  }

  /** Sealed whatever the installation decided (encrypt-existing, tests). */
  async function seal(namespace: NamespaceRef, digest: string, plain: Uint8Array) {
    const namespaceId = await idOf(namespace);
    const key = await imageData.keys.namespaceKey(namespaceId, true);
    if (!key) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
    const sealed = keyring.seal(key, manifestContext(namespaceId, digest), Buffer.from(plain));
    return Buffer.concat([SEALED_MANIFEST_MAGIC, sealed]);
  }

  function open(namespace: NamespaceRef, digest: string, stored: Uint8Array): Promise<Buffer>;
  function open(
    namespace: NamespaceRef,
    digest: string,
    stored: Uint8Array | null,
  ): Promise<Buffer | null>;
  async function open(namespace: NamespaceRef, digest: string, stored: Uint8Array | null) {
    if (stored === null) return null;
    // Plaintext (stored before encryption, or with it off): the same memory, not a copy.
    if (!isSealedManifest(stored))
      return Buffer.from(stored.buffer, stored.byteOffset, stored.length);
    const namespaceId = await idOf(namespace);
    const id = `${namespaceId}:${digest}`;
    const seen = opened.get(id);
    if (seen && Date.now() - seen.at <= OPENED_TTL_MS && seen.sealed.equals(stored)) {
      return seen.plain;
    }
    let reason: IntegrityReason = 'key-destroyed';
    const plain = await imageData.keys
      .withNamespaceKey(namespaceId, (key) => {
        const body = stored.subarray(SEALED_MANIFEST_MAGIC.length);
        try {
          return keyring.open(key, manifestContext(namespaceId, digest), body);
        } catch (error) {
          // The row does not open under its namespace's key (also the stored one, on retry).
          if (error instanceof NotAuthenticError) throw new SealNotAuthentic();
          throw error;
        }
      })
      .catch((error: unknown) => {
        if (error instanceof SealNotAuthentic) reason = 'altered';
        // The namespace's key itself does not unwrap under the root key that wrapped it.
        else if (error instanceof NotAuthenticError) reason = 'key-altered';
        else throw error;
        return null;
      });
    if (!plain) {
      // The message is what operators search the log for: keep it as it is.
      logger.error(
        {
          digest,
          namespaceId,
          ...(typeof namespace === 'string' ? { namespace } : {}),
          reason,
        },
        'a sealed manifest failed to authenticate; it was not served',
      );
      throw new IntegrityError('manifest', digest, reason);
    }
    rememberOpened(id, stored, plain);
    return plain;
  }

  return {
    seal,
    open,

    /** What the store keeps for a manifest pushed into `namespace`: sealed when encrypting. */
    async forStorage(namespace: NamespaceRef, digest: string, plain: Buffer): Promise<Buffer> {
      return (await imageData.encrypting()) ? seal(namespace, digest, plain) : plain;
    },
  };
}

export type ManifestSealing = ReturnType<typeof createManifestSealing>;

const shared = new WeakMap<object, ManifestSealing>();

/** One sealing (and one key cache) per set of service dependencies, beside imageDataOf's. */
export function manifestSealingOf(deps: Parameters<typeof imageDataOf>[0]): ManifestSealing {
  let sealing = shared.get(deps);
  if (!sealing) {
    sealing = createManifestSealing({
      imageData: imageDataOf(deps),
      keyring: deps.keyring,
      logger: deps.logger,
    });
    shared.set(deps, sealing);
  }
  return sealing;
}

export interface SealExistingSummary {
  /** Rows sealed by this run (with dryRun: that would be). */
  sealed: number;
  alreadySealed: number;
  /** Rows that changed under the run (deleted, or sealed by another run): left as they are. */
  skipped: number;
}

/**
 * Seals the manifests stored in plaintext (encrypt-existing), `batch` rows at a time in id
 * order, trash included. Each row is replaced only if it still holds the plaintext read (a
 * compare-and-set), so servers keep serving and a second run at the same time is harmless;
 * rows sealed already are left alone, so running it again changes nothing.
 */
export async function sealStoredManifests(
  store: Store,
  sealing: ManifestSealing,
  opts: { batch: number; dryRun: boolean },
): Promise<SealExistingSummary> {
  const summary: SealExistingSummary = { sealed: 0, alreadySealed: 0, skipped: 0 };
  let after = 0;
  for (;;) {
    const rows = await store.db
      .selectFrom('manifests as m')
      .innerJoin('repositories as r', 'r.id', 'm.repository_id')
      .select(['m.id', 'm.digest', 'm.content', 'r.namespace_id'])
      .where('m.id', '>', after)
      .where('m.content', 'is not', null)
      .orderBy('m.id')
      .limit(opts.batch)
      .execute();
    if (rows.length === 0) return summary;
    for (const row of rows) {
      const content = row.content!;
      if (isSealedManifest(content)) {
        summary.alreadySealed += 1;
        continue;
      }
      if (opts.dryRun) {
        summary.sealed += 1;
        continue;
      }
      try {
        const sealed = await sealing.seal(Number(row.namespace_id), row.digest, content);
        const result = await store.db
          .updateTable('manifests')
          .set({ content: sealed })
          .where('id', '=', row.id)
          .where('content', '=', content)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) summary.sealed += 1;
        else summary.skipped += 1;
      } catch (error) {
        if (error instanceof NotFoundError) {
          summary.skipped += 1; // its namespace was deleted meanwhile, and the row with it
          continue;
        }
        throw new Error(`manifest ${row.digest}: ${(error as Error).message}`, { cause: error });
      }
    }
    after = Number(rows.at(-1)!.id);
  }
}
