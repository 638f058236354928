import { NotFoundError } from '@berth/domain';
import type { Db } from '../database.js';

/** A key wrapped by a root key: which one (its fingerprint) and the wrapped bytes. */
export interface WrappedNamespaceKey {
  rootKeyId: string;
  wrapped: Buffer;
}

export interface NamespaceKeyRecord extends WrappedNamespaceKey {
  namespaceId: number;
}

export interface BlobKeyWrap {
  namespaceId: number;
  wrapped: Buffer;
}

export type BlobKeyClaim =
  | { claimed: true }
  /** Another writer chose the blob's key first: use one of its wraps (may be empty: retry). */
  | { claimed: false; wraps: BlobKeyWrap[] };

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64');

/**
 * The keys of image data encrypted at rest (migration 0025). Holds only wrapped keys; the
 * server unwraps them with the root keys the operator configured.
 */
export function createImageDataKeysStore(db: Db) {
  /**
   * A write that adds a row for `namespaceId`, where the namespace being gone (deleted while a
   * process still kept its key) is said as NotFoundError rather than as a foreign key's error.
   */
  async function whileNamespaceExists<T>(namespaceId: number, write: () => Promise<T>) {
    try {
      return await write();
    } catch (error) {
      const exists = await db
        .selectFrom('namespaces')
        .select('id')
        .where('id', '=', namespaceId)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError('NAME_UNKNOWN', 'the namespace no longer exists');
      throw error;
    }
  }

  return {
    /** Whether this installation encrypts new image data unless the environment says otherwise. */
    async enabledByDefault(): Promise<boolean> {
      const row = await db
        .selectFrom('image_data_encryption')
        .select('enabled')
        .where('id', '=', 1)
        .executeTakeFirst();
      // No row: an installation created with this feature, which encrypts (migration 0025).
      return row === undefined || Number(row.enabled) === 1;
    },

    async setEnabledByDefault(enabled: boolean, now: number): Promise<void> {
      await db
        .insertInto('image_data_encryption')
        .values({ id: 1, enabled: enabled ? 1 : 0, decided_at: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ enabled: enabled ? 1 : 0, decided_at: now }),
        )
        .execute();
    },

    async namespaceId(name: string): Promise<number | null> {
      const row = await db
        .selectFrom('namespaces')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? Number(row.id) : null;
    },

    async namespaceKey(namespaceId: number): Promise<WrappedNamespaceKey | null> {
      const row = await db
        .selectFrom('namespace_keys')
        .select(['root_key_id', 'wrapped_key'])
        .where('namespace_id', '=', namespaceId)
        .executeTakeFirst();
      return row ? { rootKeyId: row.root_key_id, wrapped: unb64(row.wrapped_key) } : null;
    },

    /**
     * Stores a namespace's first key unless another process stored one first; returns the key
     * that is stored either way (so every process uses the same one). Null when the namespace
     * is gone.
     */
    async createNamespaceKey(
      namespaceId: number,
      key: WrappedNamespaceKey,
      now: number,
    ): Promise<WrappedNamespaceKey | null> {
      const exists = await db
        .selectFrom('namespaces')
        .select('id')
        .where('id', '=', namespaceId)
        .executeTakeFirst();
      if (!exists) return null;
      await db
        .insertInto('namespace_keys')
        .values({
          namespace_id: namespaceId,
          root_key_id: key.rootKeyId,
          wrapped_key: b64(key.wrapped),
          created_at: now,
          rewrapped_at: null,
        })
        .onConflict((oc) => oc.column('namespace_id').doNothing())
        .execute();
      return this.namespaceKey(namespaceId);
    },

    /** Every namespace key, in namespace order (rotation walks them). */
    async namespaceKeys(): Promise<NamespaceKeyRecord[]> {
      const rows = await db
        .selectFrom('namespace_keys')
        .select(['namespace_id', 'root_key_id', 'wrapped_key'])
        .orderBy('namespace_id')
        .execute();
      return rows.map((r) => ({
        namespaceId: Number(r.namespace_id),
        rootKeyId: r.root_key_id,
        wrapped: unb64(r.wrapped_key),
      }));
    },

    /** The root key fingerprints namespace keys are wrapped by (each must stay configured). */
    async rootKeyIds(): Promise<string[]> {
      const rows = await db.selectFrom('namespace_keys').select('root_key_id').distinct().execute();
      return rows.map((r) => r.root_key_id);
    },

    /** Stores a re-wrapped key only if the namespace still holds the one re-wrapped. */
    async replaceNamespaceKey(
      namespaceId: number,
      fromRootKeyId: string,
      to: WrappedNamespaceKey,
      now: number,
    ): Promise<boolean> {
      const result = await db
        .updateTable('namespace_keys')
        .set({ root_key_id: to.rootKeyId, wrapped_key: b64(to.wrapped), rewrapped_at: now })
        .where('namespace_id', '=', namespaceId)
        .where('root_key_id', '=', fromRootKeyId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async isEncrypted(digest: string): Promise<boolean> {
      const row = await db
        .selectFrom('encrypted_blobs')
        .select('digest')
        .where('digest', '=', digest)
        .executeTakeFirst();
      return row !== undefined;
    },

    async wrapOf(namespaceId: number, digest: string): Promise<Buffer | null> {
      const row = await db
        .selectFrom('blob_key_wraps')
        .select('wrapped_key')
        .where('namespace_id', '=', namespaceId)
        .where('digest', '=', digest)
        .executeTakeFirst();
      return row ? unb64(row.wrapped_key) : null;
    },

    async wrapsOf(digest: string): Promise<BlobKeyWrap[]> {
      const rows = await db
        .selectFrom('blob_key_wraps')
        .select(['namespace_id', 'wrapped_key'])
        .where('digest', '=', digest)
        .orderBy('namespace_id')
        .execute();
      return rows.map((r) => ({
        namespaceId: Number(r.namespace_id),
        wrapped: unb64(r.wrapped_key),
      }));
    },

    /**
     * Makes `wrapped` (a new key wrapped for `namespaceId`) the blob's key, unless the blob
     * has one already. A blob whose every wrap went with deleted namespaces (crypto-shredded)
     * gets a new key: its old bytes are unreadable and are replaced by the caller.
     */
    async claimBlobKey(
      namespaceId: number,
      digest: string,
      wrapped: Buffer,
      now: number,
    ): Promise<BlobKeyClaim> {
      return whileNamespaceExists(namespaceId, () =>
        db.transaction().execute(async (trx) => {
          const wraps = await trx
            .selectFrom('blob_key_wraps')
            .select(['namespace_id', 'wrapped_key'])
            .where('digest', '=', digest)
            .execute();
          if (wraps.length > 0) {
            return {
              claimed: false as const,
              wraps: wraps.map((r) => ({
                namespaceId: Number(r.namespace_id),
                wrapped: unb64(r.wrapped_key),
              })),
            };
          }
          await trx.deleteFrom('encrypted_blobs').where('digest', '=', digest).execute();
          const inserted = await trx
            .insertInto('encrypted_blobs')
            .values({ digest, created_at: now })
            .onConflict((oc) => oc.column('digest').doNothing())
            .returning('digest')
            .executeTakeFirst();
          // A concurrent writer inserted it first; its wrap is visible once it commits.
          if (!inserted) return { claimed: false as const, wraps: [] };
          await trx
            .insertInto('blob_key_wraps')
            .values({ namespace_id: namespaceId, digest, wrapped_key: b64(wrapped) })
            .execute();
          return { claimed: true as const };
        }),
      );
    },

    /**
     * Adds a namespace's wrap of a blob's key (a mount, or a push of bytes stored already);
     * nothing when the namespace is gone, since nothing can read through it.
     */
    async addWrap(namespaceId: number, digest: string, wrapped: Buffer): Promise<void> {
      await whileNamespaceExists(namespaceId, () =>
        db
          .insertInto('blob_key_wraps')
          .values({ namespace_id: namespaceId, digest, wrapped_key: b64(wrapped) })
          .onConflict((oc) => oc.columns(['namespace_id', 'digest']).doNothing())
          .execute(),
      ).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    },

    /** Garbage collection deleted the blob: its keys go too. */
    async forgetBlob(digest: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('blob_key_wraps').where('digest', '=', digest).execute();
        await trx.deleteFrom('encrypted_blobs').where('digest', '=', digest).execute();
      });
    },

    /** Namespaces with a repository that links the blob (they may read it). */
    async namespacesHolding(digest: string): Promise<number[]> {
      const rows = await db
        .selectFrom('repository_blobs as rb')
        .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
        .select('r.namespace_id')
        .distinct()
        .where('rb.digest', '=', digest)
        .execute();
      return rows.map((r) => Number(r.namespace_id));
    },

    /** Recorded blobs not yet encrypted, in digest order after `after` (encrypt-existing). */
    async plaintextBlobs(
      after: string,
      limit: number,
    ): Promise<{ digest: string; size: number }[]> {
      const rows = await db
        .selectFrom('blobs as b')
        .select(['b.digest', 'b.size'])
        .where('b.digest', '>', after)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('encrypted_blobs as e')
                .select('e.digest')
                .whereRef('e.digest', '=', 'b.digest'),
            ),
          ),
        )
        .orderBy('b.digest')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
    },

    /** What per-namespace wrapping costs: rows, and blobs shared by more than one namespace. */
    async stats(): Promise<{
      namespaceKeys: number;
      encryptedBlobs: number;
      wraps: number;
      sharedBlobs: number;
    }> {
      const count = async (table: 'namespace_keys' | 'encrypted_blobs' | 'blob_key_wraps') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const shared = await db
        .selectFrom(
          db
            .selectFrom('blob_key_wraps')
            .select('digest')
            .groupBy('digest')
            .having((eb) => eb.fn.countAll(), '>', 1)
            .as('s'),
        )
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return {
        namespaceKeys: await count('namespace_keys'),
        encryptedBlobs: await count('encrypted_blobs'),
        wraps: await count('blob_key_wraps'),
        sharedBlobs: Number(shared.n),
      };
    },
  };
}

export type ImageDataKeysStore = ReturnType<typeof createImageDataKeysStore>;
