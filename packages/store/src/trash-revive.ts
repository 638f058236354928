import type { Db } from './database.js';
import { adjustLiveCounters, adjustTrashCounters } from './resolve.js';

/**
 * Brings every manifest of one trash entry (the image, its referrers, its index children) back
 * to life and drops the entry, in the caller's transaction. Tags are the caller's business:
 * a restore re-applies remembered ones, a re-push applies the pushed one.
 */
export async function reviveTrashEntry(
  trx: Db,
  ids: { namespaceId: number; repositoryId: number },
  entry: { id: number; manifest_id: number; size_bytes: number },
): Promise<{ id: number; top_level: number; size_bytes: number }> {
  const main = await trx
    .selectFrom('manifests')
    .select(['id', 'top_level', 'size_bytes'])
    .where('id', '=', entry.manifest_id)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('manifests')
    .set((eb) => ({ state: 'live', trash_entry_id: null, listed: eb.ref('top_level') }))
    .where('trash_entry_id', '=', entry.id)
    .execute();
  await trx.deleteFrom('trash_entries').where('id', '=', entry.id).execute();
  if (main.top_level === 1) await adjustLiveCounters(trx, ids, 1, main.size_bytes);
  await adjustTrashCounters(trx, ids.namespaceId, -1, -entry.size_bytes);
  return main;
}
