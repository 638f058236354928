import { type Kysely, sql } from 'kysely';

/**
 * `manifests.trash_entry_id` is NULL for every live image. ANALYZE counts the NULLs as one
 * key, so statistics gathered while the trash was empty or small said each trash entry holds
 * a large share of the manifests ('1000000 1000000' on a freshly seeded million images). Deletes
 * change no table's row count, so nothing re-analyzes, and the planner then scanned every
 * manifest for each restore chunk's UPDATE instead of looking up its rows: a 100,000-image
 * repository restore took 80 s instead of 5. Indexed without its NULLs, the statistics
 * describe only the rows a lookup can find, and the index is as small as the trash. Every
 * query on the column compares it with a value, which implies NOT NULL, so each can use it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Drop, then create under the same name: a crash between the two re-runs this migration.
  await db.schema.dropIndex('manifests_trash_entry').ifExists().execute();
  await db.schema
    .createIndex('manifests_trash_entry')
    .on('manifests')
    .column('trash_entry_id')
    .where(sql.ref('trash_entry_id'), 'is not', null)
    .execute();
}
