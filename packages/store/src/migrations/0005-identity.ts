import { type Kysely, sql } from 'kysely';

/**
 * Accounts, sessions, API keys and memberships. Session tokens and key secrets are stored as
 * SHA-256 digests: they are long random values, so a digest is enough to make a copy of the
 * database useless for signing in, and checking one costs nothing per request (passwords,
 * which people choose, get scrypt instead). Memberships cascade from both sides, so deleting
 * a namespace or project takes its members with it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id']).execute();
  await db.schema.createIndex('sessions_expiry').on('sessions').columns(['expires_at']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('access', 'text', (c) => c.notNull())
    /** JSON array of namespace names, or NULL for every namespace the owner reaches. */
    .addColumn('namespaces', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  // A revoked key's name can be reused; two live keys of one user cannot share a name.
  await db.schema
    .createIndex('api_keys_live_name')
    .on('api_keys')
    .columns(['user_id', 'name'])
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();

  for (const [table, parent] of [
    ['namespace_members', 'namespaces'],
    ['project_members', 'projects'],
  ] as const) {
    const column = table === 'namespace_members' ? 'namespace_id' : 'project_id';
    await db.schema
      .createTable(table)
      .addColumn(column, table === 'namespace_members' ? 'integer' : 'text', (c) =>
        c.notNull().references(`${parent}.id`).onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, [column, 'user_id'])
      .execute();
    await db.schema.createIndex(`${table}_user`).on(table).columns(['user_id']).execute();
  }

  await db.schema
    .alterTable('namespaces')
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema.alterTable('audit_events').addColumn('request_id', 'text').execute();
  await db.schema.createIndex('audit_actor').on('audit_events').columns(['actor', 'at']).execute();
  await db.schema
    .createIndex('audit_action')
    .on('audit_events')
    .columns(['action', 'at'])
    .execute();
  // Append-only from the application's point of view: no code path can rewrite history.
  await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
}
