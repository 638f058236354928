import type { Kysely } from 'kysely';

/**
 * Upload sessions staged in S3 that are encrypted as they arrive (issue 18): the session's
 * own random key, wrapped by its namespace's key, and the header its ciphertext starts with,
 * as JSON `{ "key", "header" }` (base64). Null: a plaintext session (encryption was off when it
 * started, or it started before this version). Portable: one nullable text column.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('upload_sessions').addColumn('encryption', 'text').execute();
}
