import { sql } from 'kysely';
import type { Db } from './database.js';

/**
 * Every maintained counter (repository and namespace image counts and sizes, repositories per
 * namespace, trash entries and bytes) against a full recount from the rows, as "where: stored
 * ≠ counted" lines; empty when all agree. For tests and for checking a store after a crash.
 */
export async function counterMismatches(db: Db): Promise<string[]> {
  const rows = await sql<{ what: string; stored: number; counted: number }>`
    SELECT 'repository ' || r.id || ' images' AS what, r.image_count AS stored,
      (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS counted
    FROM repositories r
    UNION ALL
    SELECT 'repository ' || r.id || ' bytes', r.size_bytes,
      (SELECT coalesce(sum(m.size_bytes), 0) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1)
    FROM repositories r
    UNION ALL
    SELECT 'namespace ' || n.name || ' images', n.image_count,
      (SELECT count(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.namespace_id = n.id AND m.listed = 1)
    FROM namespaces n
    UNION ALL
    SELECT 'namespace ' || n.name || ' bytes', n.size_bytes,
      (SELECT coalesce(sum(m.size_bytes), 0) FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.namespace_id = n.id AND m.listed = 1)
    FROM namespaces n
    UNION ALL
    SELECT 'namespace ' || n.name || ' repositories', n.repository_count,
      (SELECT count(*) FROM repositories r WHERE r.namespace_id = n.id AND r.image_count > 0)
    FROM namespaces n
    UNION ALL
    SELECT 'namespace ' || n.name || ' trash', n.trash_count,
      (SELECT count(*) FROM trash_entries t WHERE t.namespace_id = n.id)
    FROM namespaces n
    UNION ALL
    SELECT 'namespace ' || n.name || ' trash bytes', n.trash_size_bytes,
      (SELECT coalesce(sum(t.size_bytes), 0) FROM trash_entries t WHERE t.namespace_id = n.id)
    FROM namespaces n`.execute(db);
  return rows.rows
    .filter((r) => Number(r.stored) !== Number(r.counted))
    .map((r) => `${r.what}: ${r.stored} ≠ ${r.counted}`);
}
