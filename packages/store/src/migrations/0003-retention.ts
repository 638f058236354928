import type { Kysely } from 'kysely';

/**
 * Retention: a revision on every manifest (bumped by whatever a person or client does to the
 * image) so a confirmation can tell "exactly what was previewed" from "changed since"; indexes
 * that let a preview read a million images and their layer references without touching the
 * tables; policies, stored previews, runs, and the run that put each trash entry there.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('manifests')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('manifests_retention')
    .on('manifests')
    .columns([
      'repository_id',
      'listed',
      'created_sort',
      'pushed_at',
      'revision',
      'size_bytes',
      'digest',
    ])
    .execute();
  // Covering: "does anything outside this set use the blob?" is answered from the index alone.
  await db.schema.dropIndex('manifest_blobs_blob').execute();
  await db.schema
    .createIndex('manifest_blobs_blob')
    .on('manifest_blobs')
    .columns(['blob_digest', 'manifest_id'])
    .execute();

  await db.schema
    .createTable('retention_policies')
    .addColumn('namespace_id', 'integer', (c) =>
      c.primaryKey().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('keep_count', 'integer', (c) => c.notNull())
    .addColumn('retain_untagged', 'integer', (c) => c.notNull())
    .addColumn('exclude_tags', 'text', (c) => c.notNull())
    .addColumn('exclude_repositories', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('daily_at', 'text', (c) => c.notNull())
    /** The slot the scheduler claims next; moved forward by whoever claims it. */
    .addColumn('next_run_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('retention_policies_due')
    .on('retention_policies')
    .columns(['enabled', 'next_run_at'])
    .execute();

  await db.schema
    .createTable('retention_previews')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'integer', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    /** Totals and per-repository counts, as JSON. */
    .addColumn('summary', 'text', (c) => c.notNull())
    /** Every decision, packed column by column (see retention-preview-codec). */
    .addColumn('items', 'blob', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('retention_previews_expires')
    .on('retention_previews')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('namespace_id', 'integer', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('preview_id', 'text')
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    /** Which process runs it and until when its claim holds (a crashed run is taken over). */
    .addColumn('claimed_by', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('deleted_images', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reclaim_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped_images', 'integer', (c) => c.notNull().defaultTo(0))
    /** JSON: the first deleted and skipped images, for the result page. */
    .addColumn('details', 'text')
    .addColumn('error', 'text')
    // One run per namespace and scheduled slot, whatever the number of server processes.
    .addUniqueConstraint('retention_runs_slot', ['namespace_id', 'scheduled_for'])
    .execute();
  await db.schema
    .createIndex('retention_runs_ns')
    .on('retention_runs')
    .columns(['namespace_id', 'id'])
    .execute();

  await db.schema.alterTable('trash_entries').addColumn('retention_run_id', 'integer').execute();
  await db.schema
    .createIndex('trash_retention_run')
    .on('trash_entries')
    .column('retention_run_id')
    .execute();
}
