import { type Kysely, sql } from 'kysely';

/**
 * The registry protocol: manifests keep their exact bytes in the database (a HEAD or GET is
 * one indexed read, and a manifest can never exist without its content); blobs are linked to
 * the repositories that uploaded or mounted them, so a digest known in one repository cannot
 * be read through another; and blobs being garbage-collected are marked first, so a push
 * waits for the deletion to finish instead of racing it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('manifests').addColumn('content', 'blob').execute();
  await db.schema
    .alterTable('blobs')
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('repository_blobs')
    .addColumn('repository_id', 'integer', (c) =>
      c.notNull().references('repositories.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('touched_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blobs_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('repository_blobs_digest')
    .on('repository_blobs')
    .column('digest')
    .execute();

  await sql`
    INSERT INTO repository_blobs (repository_id, digest, touched_at)
    SELECT m.repository_id, mb.blob_digest, MAX(m.pushed_at)
    FROM manifests m JOIN manifest_blobs mb ON mb.manifest_id = m.id
    GROUP BY m.repository_id, mb.blob_digest
  `.execute(db);
  // Manifests are no longer stored as blobs.
  await sql`
    DELETE FROM blobs WHERE digest IN (SELECT digest FROM manifests)
      AND digest NOT IN (SELECT blob_digest FROM manifest_blobs)
  `.execute(db);
}
