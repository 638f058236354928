import type { Db } from './database.js';
import { chunks } from './blob-reclaim.js';

/** The tags each of the given manifests holds now, in name order. */
export async function tagsOf(
  db: Db,
  manifestIds: readonly number[],
): Promise<Map<number, string[]>> {
  const tags = new Map<number, string[]>();
  for (const chunk of chunks(manifestIds)) {
    const rows = await db
      .selectFrom('tags')
      .select(['manifest_id', 'name'])
      .where('manifest_id', 'in', chunk)
      .orderBy('name')
      .execute();
    for (const t of rows) {
      const list = tags.get(t.manifest_id);
      if (list) list.push(t.name);
      else tags.set(t.manifest_id, [t.name]);
    }
  }
  return tags;
}
