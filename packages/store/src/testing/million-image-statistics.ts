import SqliteDatabase from 'better-sqlite3';
import { registerIdSetFunction } from '../id-sets.js';

/**
 * sqlite_stat1 of the 1,000,000-image benchmark dataset (`seed-large`: 10,000 repositories in
 * 10 namespaces, one of 100,000 images) as ANALYZE left it after seeding, with the trash
 * empty, read off `.bench-data/large` after migration 0017. Plan tests use them so that the
 * plans they check are the ones chosen at that scale.
 */
export const MILLION_IMAGES_STATISTICS: readonly [table: string, index: string, stat: string][] = [
  ['blobs', 'sqlite_autoindex_blobs_1', '50000 1'],
  ['manifest_blobs', 'manifest_blobs_blob', '3000000 38 1'],
  ['manifest_blobs', 'sqlite_autoindex_manifest_blobs_1', '3000000 3 1'],
  ['manifests', 'manifests_list_created', '1000000 167 3 1'],
  ['manifests', 'manifests_list_pushed', '1000000 167 1 1'],
  ['manifests', 'manifests_list_size', '1000000 167 1 1'],
  ['manifests', 'manifests_repository_id', '1000000 167 1'],
  ['manifests', 'manifests_retention', '1000000 167 3 1 1 1 1'],
  ['manifests', 'manifests_signs', '1000000 167 167'],
  ['manifests', 'manifests_subject', '1000000 167 167'],
  ['manifests', 'manifests_trash_entry', '0 0'],
  ['manifests', 'sqlite_autoindex_manifests_1', '1000000 167 1'],
  ['namespaces', 'namespaces_region_name', '10 10 1'],
  ['namespaces', 'sqlite_autoindex_namespaces_1', '10 1'],
  ['repositories', 'repositories_ns_image_count', '10000 501 4 1'],
  ['repositories', 'repositories_ns_last_pushed_at', '10000 501 1 1'],
  ['repositories', 'repositories_ns_size_bytes', '10000 501 1 1'],
  ['repositories', 'sqlite_autoindex_repositories_1', '10000 501 1'],
  ['tags', 'sqlite_autoindex_tags_1', '955078 167 1'],
  ['tags', 'tags_manifest', '955078 2'],
];

/**
 * A copy of `raw`'s database at `file`, opened, whose statistics for the tables above are the
 * million images' (the others' stay its own): the planner then plans as at that scale. The
 * caller closes it.
 */
export function copyWithMillionImageStatistics(
  raw: SqliteDatabase.Database,
  file: string,
): SqliteDatabase.Database {
  raw.exec(`VACUUM INTO '${file}'`);
  const copy = new SqliteDatabase(file);
  registerIdSetFunction(copy);
  const tables = [...new Set(MILLION_IMAGES_STATISTICS.map(([table]) => table))];
  copy
    .prepare(`DELETE FROM sqlite_stat1 WHERE tbl IN (${tables.map(() => '?').join(', ')})`)
    .run(...tables);
  const insert = copy.prepare('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)');
  for (const row of MILLION_IMAGES_STATISTICS) insert.run(...row);
  // Loads the statistics just written into this connection's planner.
  copy.exec('ANALYZE sqlite_schema');
  return copy;
}
