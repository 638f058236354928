import type { Kysely } from 'kysely';

/**
 * Registry upload sessions whose bytes are an S3 multipart upload (issue 16): the state that
 * lets a chunked upload started on one process be continued, finished or cancelled on another.
 * Written with the schema builder and portable types only (text, bigint, integer; the hash
 * state as base64 text), since the same migration runs on PostgreSQL.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('upload_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // Bytes received and hashed so far: the parts plus the tail.
    .addColumn('offset_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    // 1: a single-request upload (POST ?digest=), whose client never learns the session.
    .addColumn('one_shot', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('s3_upload_id', 'text')
    // JSON [{ "number", "etag", "size" }] of the parts S3 holds, in order.
    .addColumn('parts', 'text', (c) => c.notNull().defaultTo('[]'))
    // The running hash as its resumable state (hash-wasm save()), base64.
    .addColumn('hash_state', 'text', (c) => c.notNull())
    // Bytes after the last part, too few to be a part yet, kept as a small object.
    .addColumn('tail_key', 'text')
    .addColumn('tail_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    // Who is writing a chunk, until when: a lease that lapses frees the session again.
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('upload_sessions_updated')
    .on('upload_sessions')
    .columns(['updated_at'])
    .execute();
}
