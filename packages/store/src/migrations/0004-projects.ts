import type { Kysely } from 'kysely';

/**
 * Projects of the serverless platform. Every child row cascades from its project, so a hard
 * delete or a purge is one DELETE of the project row, and that row holds the project's
 * wrapped data key: removing it is what makes the secrets unreadable (crypto-shredding).
 * Apps, jobs and job templates share one table because "which workloads use this image?"
 * is asked of all of them at once (images list, retention protection).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region', 'text', (c) => c.notNull().references('regions.name'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('deleted_by', 'text')
    .addColumn('purge_at', 'bigint')
    /** Which root key wrapped data_key (a fingerprint, never the key). */
    .addColumn('key_id', 'text', (c) => c.notNull())
    /** The project's data key, AES-256-GCM-wrapped by the root key: nonce | ciphertext | tag. */
    .addColumn('data_key', 'blob', (c) => c.notNull())
    .addUniqueConstraint('projects_region_name', ['region', 'name'])
    .execute();
  await db.schema
    .createIndex('projects_purge')
    .on('projects')
    .columns(['status', 'purge_at'])
    .execute();
  await db.schema.createIndex('projects_key').on('projects').columns(['key_id']).execute();

  await db.schema
    .createTable('project_workloads')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    /** 'app' or 'job': jobs and job templates share their names. */
    .addColumn('family', 'text', (c) => c.notNull())
    /** 'app', 'job' or 'template'. */
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    /** Canonical pointer text, and its parts for lookups by image. */
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('image_registry', 'text', (c) => c.notNull())
    .addColumn('image_namespace', 'text', (c) => c.notNull())
    .addColumn('image_repository', 'text', (c) => c.notNull())
    .addColumn('image_tag', 'text')
    .addColumn('image_digest', 'text')
    /** JSON array of strings. */
    .addColumn('command', 'text', (c) => c.notNull())
    /** JSON object of strings. */
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('cpu', 'real', (c) => c.notNull())
    .addColumn('memory_mib', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_workloads_pk', ['project_id', 'family', 'name'])
    .execute();
  await db.schema
    .createIndex('project_workloads_image')
    .on('project_workloads')
    .columns(['image_namespace', 'image_repository'])
    .execute();

  await db.schema
    .createTable('project_secrets')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    /** Random, never reused: bound into the ciphertext so a value cannot be moved to another secret. */
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    /** JSON array of the generic secret's keys; values live only in `sealed`. */
    .addColumn('keys', 'text', (c) => c.notNull())
    .addColumn('server', 'text')
    .addColumn('username', 'text')
    /** AES-256-GCM under the project's data key: nonce | ciphertext | tag. */
    .addColumn('sealed', 'blob', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_secrets_pk', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('project_config_maps')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    /** JSON object of strings. */
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_config_maps_pk', ['project_id', 'name'])
    .execute();
}
