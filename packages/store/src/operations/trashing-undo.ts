import { sql } from 'kysely';
import type { Db } from '../database.js';
import { engineOf } from '../store-handle.js';
import { restoreTrashEntriesById } from '../trash-restore.js';
import type { OperationRecord, OperationUndo } from './operations-store.js';

/*
 * The undo of an operation that moved images to the trash (a repository delete, a retention
 * confirm) and failed part-way: the trash entries its committed chunks made are restored,
 * set-based with the restore every other restore uses, so the images come back with their
 * tags by the usual rules (a tag someone took meanwhile stays theirs). It goes over the
 * positions of the set its chunks handled from the last one down, so the entries come newest
 * deletion first, the order the tag rule needs.
 */

/**
 * The trash entries operation `id` made for positions [from, below) of its set. The set's own
 * primary-key range drives the lookups (CROSS JOIN keeps it the outer loop; each entry is a
 * unique-index probe by manifest_id), so a chunk reads its positions and nothing else of the
 * trash, however much of the repository's trash is older.
 */
export function undoEntriesQuery(db: Db, id: number, from: number, below: number) {
  // SQLite's CROSS JOIN fixes the join order; PostgreSQL has no CROSS JOIN … ON, and its
  // planner orders the joins by its statistics.
  const join = engineOf(db) === 'postgres' ? sql`JOIN` : sql`CROSS JOIN`;
  return sql<{ id: number }>`
    SELECT e.id
    FROM operation_items i
    ${join} trash_entries e ON e.manifest_id = i.item_id
    WHERE i.operation_id = ${id} AND i.seq >= ${from} AND i.seq < ${below}
      AND e.operation_id = ${id}`;
}

/**
 * One chunk of the undo, in the runner's transaction: the next `budget` positions of the set
 * below `op.undo.below`, each image's entry if this operation made it and it is still in the
 * trash (restored or deleted by someone since, it is left as it is).
 */
export async function undoTrashingChunk(
  trx: Db,
  op: OperationRecord & { undo: OperationUndo },
  budget: number,
  now: number,
): Promise<OperationUndo> {
  const { below } = op.undo;
  const from = Math.max(1, below - budget);
  if (below <= 1) return op.undo;
  const entries = await undoEntriesQuery(trx, op.id, from, below).execute(trx);
  const restored = await restoreTrashEntriesById(
    trx,
    entries.rows.map((e) => e.id),
    now,
  );
  return {
    ...op.undo,
    below: from,
    restored: op.undo.restored + restored.length,
    skippedTags: op.undo.skippedTags + restored.reduce((n, r) => n + r.skippedTags.length, 0),
  };
}

/** What an audit entry of an undone operation says it put back (null: it was not undone). */
export function rolledBack(op: OperationRecord): { images: number; skippedTags: number } | null {
  return op.undo ? { images: op.undo.restored, skippedTags: op.undo.skippedTags } : null;
}
