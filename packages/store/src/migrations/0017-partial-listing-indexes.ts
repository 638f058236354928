import { type Kysely, sql } from 'kysely';

/**
 * The indexes that list and rank a repository's images (by push time, created time and size,
 * and retention's covering index) held every manifest, keyed by `listed` first. Moving an image
 * to the trash or back flips `listed`, which moved its entry from one half of each index to
 * the other: two leaf pages per index per image, and in size order those are random pages. At
 * a million images that was half of a 100,000-image repository delete (53.6 µs per image; 28.9
 * with these indexes, profile-trash.mjs) and most of its commits. They now hold the listed
 * images only: trashing removes an entry, restoring inserts one, and the trash costs them no
 * space. A query can use them only when it says `listed = 1` as a literal (a bound parameter
 * does not imply the index's condition): see listed.ts.
 */
const INDEXES: [name: string, columns: string[]][] = [
  ['manifests_list_pushed', ['repository_id', 'pushed_at', 'id']],
  ['manifests_list_created', ['repository_id', 'created_sort', 'id']],
  ['manifests_list_size', ['repository_id', 'size_bytes', 'id']],
  [
    'manifests_retention',
    ['repository_id', 'created_sort', 'pushed_at', 'revision', 'size_bytes', 'digest'],
  ],
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, columns] of INDEXES) {
    // Drop, then create under the same name: a crash between the two re-runs this migration.
    await db.schema.dropIndex(name).ifExists().execute();
    await db.schema
      .createIndex(name)
      .on('manifests')
      .columns(columns)
      .where(sql.ref('listed'), '=', sql.lit(1))
      .execute();
  }
}
