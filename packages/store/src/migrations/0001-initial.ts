import { type Kysely, sql } from 'kysely';

// Migrations use only portable DDL so the same file runs on SQLite and PostgreSQL.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('regions')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('namespaces')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('region', 'text', (c) => c.notNull().references('regions.name'))
    .addColumn('quota_bytes', 'bigint')
    .addColumn('repository_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('image_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('trash_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('trash_size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('namespaces_region_name')
    .on('namespaces')
    .columns(['region', 'name'])
    .execute();

  await db.schema
    .createTable('repositories')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('namespace_id', 'integer', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('image_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_pushed_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('repositories_namespace_name', ['namespace_id', 'name'])
    .execute();
  // One index per sortable column of the repositories page, each ending in the unique
  // name so keyset pagination is a range scan.
  for (const col of ['image_count', 'size_bytes', 'last_pushed_at']) {
    await db.schema
      .createIndex(`repositories_ns_${col}`)
      .on('repositories')
      .columns(['namespace_id', col, 'name'])
      .execute();
  }

  await db.schema
    .createTable('manifests')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('repository_id', 'integer', (c) =>
      c.notNull().references('repositories.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('manifest_size', 'integer', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint')
    .addColumn('created_sort', 'bigint', (c) => c.notNull())
    .addColumn('pushed_at', 'bigint', (c) => c.notNull())
    .addColumn('subject_digest', 'text')
    .addColumn('platform_os', 'text')
    .addColumn('platform_architecture', 'text')
    .addColumn('platform_variant', 'text')
    .addColumn('top_level', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('listed', 'integer', (c) => c.notNull())
    .addColumn('trash_entry_id', 'integer')
    .addUniqueConstraint('manifests_repository_digest', ['repository_id', 'digest'])
    .execute();
  for (const [name, col] of [
    ['manifests_list_pushed', 'pushed_at'],
    ['manifests_list_created', 'created_sort'],
    ['manifests_list_size', 'size_bytes'],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('manifests')
      .columns(['repository_id', 'listed', col, 'id'])
      .execute();
  }
  await db.schema
    .createIndex('manifests_subject')
    .on('manifests')
    .columns(['repository_id', 'subject_digest'])
    .execute();
  await db.schema.createIndex('manifests_digest').on('manifests').column('digest').execute();
  await db.schema
    .createIndex('manifests_trash_entry')
    .on('manifests')
    .column('trash_entry_id')
    .execute();

  await db.schema
    .createTable('manifest_children')
    .addColumn('parent_id', 'integer', (c) =>
      c.notNull().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('child_id', 'integer', (c) =>
      c.notNull().references('manifests.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('manifest_children_pk', ['parent_id', 'child_id'])
    .execute();
  await db.schema
    .createIndex('manifest_children_child')
    .on('manifest_children')
    .column('child_id')
    .execute();

  await db.schema
    .createTable('tags')
    .addColumn('repository_id', 'integer', (c) =>
      c.notNull().references('repositories.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('manifest_id', 'integer', (c) =>
      c.notNull().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository_id', 'name'])
    .execute();
  await db.schema.createIndex('tags_manifest').on('tags').column('manifest_id').execute();

  await db.schema
    .createTable('blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('media_type', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('manifest_blobs')
    .addColumn('manifest_id', 'integer', (c) =>
      c.notNull().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('blob_digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifest_blobs_pk', ['manifest_id', 'blob_digest'])
    .execute();
  await db.schema
    .createIndex('manifest_blobs_blob')
    .on('manifest_blobs')
    .column('blob_digest')
    .execute();

  await db.schema
    .createTable('trash_entries')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('namespace_id', 'integer', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('repository_id', 'integer', (c) =>
      c.notNull().references('repositories.id').onDelete('cascade'),
    )
    .addColumn('manifest_id', 'integer', (c) =>
      c.notNull().unique().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('trash_ns_deleted')
    .on('trash_entries')
    .columns(['namespace_id', 'deleted_at', 'id'])
    .execute();
  await db.schema
    .createIndex('trash_repo_deleted')
    .on('trash_entries')
    .columns(['repository_id', 'deleted_at', 'id'])
    .execute();
  await db.schema.createIndex('trash_expires').on('trash_entries').column('expires_at').execute();

  await db.schema
    .createTable('trash_tags')
    .addColumn('trash_entry_id', 'integer', (c) =>
      c.notNull().references('trash_entries.id').onDelete('cascade'),
    )
    .addColumn('repository_id', 'integer', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('trash_tags_lookup')
    .on('trash_tags')
    .columns(['repository_id', 'tag', 'deleted_at'])
    .execute();
  await db.schema
    .createIndex('trash_tags_entry')
    .on('trash_tags')
    .column('trash_entry_id')
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_at').on('audit_events').columns(['at', 'id']).execute();
  void sql;
}
