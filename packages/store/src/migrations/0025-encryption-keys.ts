import { type Kysely, sql } from 'kysely';

/**
 * Issue 18: encryption at rest of image data. Portable types only (both engines run it):
 * wrapped keys are base64 text.
 *
 * - `namespace_keys`: each namespace's data key, wrapped by a root key (`root_key_id` is its
 *   fingerprint). The foreign key's cascade deletes it in the same transaction as the
 *   namespace: crypto-shredding needs no step anyone could forget.
 * - `encrypted_blobs`: one row per stored blob whose bytes are (or are being made) ciphertext;
 *   its primary key lets only one writer choose a blob's data key (race-safe).
 * - `blob_key_wraps`: the blob's data key wrapped by each namespace key that holds the blob, so
 *   the bytes are stored once however many namespaces share them; the namespace's rows go with it.
 * - `image_data_encryption`: whether new image data is encrypted, decided once: on for a new
 *   installation (no row), off for one that existed before this migration (a row with 0), until
 *   `encrypt-existing --enable` sets it (BERTH_ENCRYPT_IMAGE_DATA overrides it either way).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('namespace_keys')
    .addColumn('namespace_id', 'bigint', (c) =>
      c.primaryKey().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('root_key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('rewrapped_at', 'bigint')
    .execute();
  await db.schema
    .createTable('encrypted_blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blob_key_wraps')
    .addColumn('namespace_id', 'bigint', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_key_wraps_pk', ['namespace_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('blob_key_wraps_digest')
    .on('blob_key_wraps')
    .columns(['digest'])
    .execute();
  await db.schema
    .createTable('image_data_encryption')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('decided_at', 'bigint', (c) => c.notNull())
    .execute();
  // An installation that has started before keeps its behaviour (off) until the operator
  // turns it on. A brand-new one gets no row, which means on: so an empty database (the
  // target of `berth migrate`) holds no row that the copied one would collide with.
  await sql`
    INSERT INTO image_data_encryption (id, enabled, decided_at)
    SELECT 1, 0, 0 WHERE EXISTS (SELECT 1 FROM first_start) OR EXISTS (SELECT 1 FROM namespaces)`.execute(
    db,
  );
}
