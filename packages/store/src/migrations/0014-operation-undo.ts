import type { Kysely } from 'kysely';

/**
 * A repository delete or a retention confirm that fails part-way is undone (issue 14: either
 * it happens fully or not at all): what its committed chunks moved to the trash is restored.
 *
 * - `trash_entries.operation_id`: the operation whose chunk made the entry (null for single
 *   deletes, and for entries made before this migration). The undo walks the operation's own
 *   set backwards (operation_items, a range of its primary key, still there while the
 *   operation runs) and looks each image's entry up by manifest_id (trash_entries' unique
 *   index), keeping the entries whose operation_id is its own: an image of the set that
 *   someone else had deleted first was passed over by the chunk, and must stay in the trash.
 *   Nothing searches by operation_id, so it has no index. One mechanism for both kinds: a
 *   retention run's entries also carry retention_run_id, but a repository delete has nothing
 *   else that tells its entries from earlier ones of the same repository.
 * - `operations.undo`: JSON, set when the undo starts and kept once the operation has ended:
 *   the error that stopped it, where the undo has got to and what it put back. A running
 *   operation with an undo is resumed (after a crash) by finishing the undo, never the work.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trash_entries').addColumn('operation_id', 'integer').execute();
  await db.schema.alterTable('operations').addColumn('undo', 'text').execute();
}
