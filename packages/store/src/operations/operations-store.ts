import { setImmediate as nextTurn } from 'node:timers/promises';
import { NotFoundError } from '@berth/domain';
import { type Selectable, type SelectQueryBuilder, type UpdateObject, sql } from 'kysely';
import type { Database, Db, OperationRowState, OperationsTable } from '../database.js';
import { currentRequestId } from '../audit-context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { type NamespaceVisibility, visibleTo } from '../namespaces-store.js';
import { tuplesOf } from '../sql-lists.js';
import { engineOf } from '../store-handle.js';

/*
 * Recorded operations (migration 0008). An operation is created with the set it works on
 * (operation_items, fixed at its start), then worked in chunks: each chunk is ONE short
 * transaction that does the work of a bounded number of items AND records the progress it
 * made, so a crash between chunks leaves a consistent store and the operation resumes from
 * its recorded progress. Exactly one process works an operation at a time: it holds a claim
 * (claimed_by + lease_until) that every chunk renews; a lease that lapses (the process died)
 * is taken over by any process.
 *
 * A large set is filled after the operation is recorded, in pieces of FILL_BATCH rows, each
 * its own transaction with the position it reached (`fill`), so neither the start nor a crash
 * holds the write lock for long; the set stays fixed as of the start because the kind's source
 * bounds it (a repository delete: ids up to the last one at the start). When the operation
 * ends, its set is dropped in pieces too (dropItems), after the ending transaction.
 */

/** Rows of a set inserted per transaction: ~5,000 keep one under ~30 ms at a million images. */
export const FILL_BATCH = 5_000;
/** Rows of an ended operation's set deleted per transaction. */
export const DROP_BATCH = 10_000;

export interface OperationRecord {
  id: number;
  kind: string;
  namespace: string;
  namespaceId: number | null;
  target: string;
  state: OperationRowState;
  done: number;
  total: number;
  actor: string;
  /** What the kind was asked to do (JSON the kind wrote at creation). */
  params: unknown;
  /** Where the kind's chunks have got to (JSON the last committed chunk returned). */
  progress: unknown;
  /** True while the set is still being filled in pieces: no chunk runs before it is complete. */
  filling: boolean;
  result: unknown;
  /**
   * Set once a failed operation is being undone (it stays running until the undo is done,
   * and a crash resumes the undo), and kept after it ended as failed.
   */
  undo: OperationUndo | null;
  /** Failed: why. Running: why it waits to be tried again (the disk was full), if it does. */
  error: { code: string; message: string } | null;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface NewOperation {
  kind: string;
  namespace: string;
  namespaceId: number | null;
  target: string;
  actor: string;
  params: unknown;
  now: number;
  /** The process that will work it: it is claimed from the start, so no other one races it. */
  owner: string;
  leaseMs: number;
  /**
   * The set is filled after this, in pieces (the runner calls `fillStep` with the kind's
   * `items` source); `expected` is the total shown until it is complete.
   */
  filledLater?: { expected: number };
}

export interface OperationItem {
  seq: number;
  itemId: number;
  revision: number | null;
}

/** What one chunk did: images handled (added to `done`), and where the next chunk starts. */
export interface ChunkOutcome {
  handled: number;
  /** Stored as the operation's progress; the next chunk reads it back from op.progress. */
  progress: unknown;
  /** True once nothing is left: the runner then finishes the operation. */
  finished: boolean;
}

/**
 * The undo of a failed operation: it goes back over the positions of its set that committed
 * chunks handled, from the last one down, putting back what they did.
 */
export interface OperationUndo {
  /** Why the operation stopped. */
  error: { code: string; message: string };
  /** Positions of the set below this one are still to be undone (1 once it is done). */
  below: number;
  /** Images put back so far. */
  restored: number;
  /** Tags they held that another image holds now, so they came back without them. */
  skippedTags: number;
}

/** The claim on an operation moved to another process (our lease lapsed): stop working it. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(readonly operationId: number) {
    super(`operation ${operationId} is no longer claimed by this process`);
  }
}

/**
 * Who sees which operations: null for admins (every one, of deleted namespaces too); otherwise
 * the caller's own (`actor`) and those of the namespaces the caller may read, while they exist.
 */
export type OperationVisibility = {
  actor: string;
  namespaces: NamespaceVisibility;
} | null;

export interface OperationListQuery {
  namespace?: string;
  state?: OperationRowState;
  cursor?: string;
  limit: number;
  visibility: OperationVisibility;
}

type Row = Selectable<OperationsTable>;

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

function toRecord(r: Row): OperationRecord {
  return {
    id: r.id,
    kind: r.kind,
    namespace: r.namespace,
    namespaceId: r.namespace_id,
    target: r.target,
    state: r.state,
    done: r.done,
    total: r.total,
    actor: r.actor,
    params: parse(r.params),
    progress: parse(r.progress),
    filling: r.fill !== null,
    result: parse(r.result),
    undo: parse(r.undo) as OperationUndo | null,
    error: parse(r.error) as OperationRecord['error'],
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

/** Creates an operation inside the caller's transaction (so its items go in with it). */
export async function createOperation(trx: Db, input: NewOperation): Promise<number> {
  const row = await trx
    .insertInto('operations')
    .values({
      kind: input.kind,
      namespace: input.namespace,
      namespace_id: input.namespaceId,
      target: input.target,
      state: 'running',
      actor: input.actor,
      params: JSON.stringify(input.params ?? null),
      progress: null,
      result: null,
      error: null,
      request_id: currentRequestId(),
      started_at: input.now,
      updated_at: input.now,
      finished_at: null,
      claimed_by: input.owner,
      lease_until: input.now + input.leaseMs,
      total: input.filledLater?.expected ?? 0,
      fill: input.filledLater ? JSON.stringify({ part: 0, after: 0 } satisfies FillPosition) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The last position taken in the operation's set (0 while it is empty). */
async function lastSeq(trx: Db, operationId: number): Promise<number> {
  const last = await trx
    .selectFrom('operation_items')
    .select((eb) => eb.fn.max<number | null>('seq').as('seq'))
    .where('operation_id', '=', operationId)
    .executeTakeFirst();
  return Number(last?.seq ?? 0);
}

/** The item at position `seq` of the operation's set. */
async function itemIdAt(trx: Db, operationId: number, seq: number): Promise<number> {
  const row = await trx
    .selectFrom('operation_items')
    .select('item_id')
    .where('operation_id', '=', operationId)
    .where('seq', '=', seq)
    .executeTakeFirstOrThrow();
  return row.item_id;
}

/** Rows a set source yields: the item's id (its order too) and an optional revision. */
export type ItemSource = SelectQueryBuilder<
  Database,
  never,
  { item_id: number; revision: number | null }
>;

/**
 * The source of an operation's set, in parts taken one after the other (a repository delete:
 * one part per repository): part `part`'s rows with an id above `afterId`, or null when there
 * is no such part (the set is complete). The fill orders each part by id and takes it in
 * keyset ranges. Rows must be fixed as of the operation's start by the source itself (bound
 * by what `op.params` recorded then), since the pieces are read later, one by one.
 */
export type ItemSourceParts = (
  trx: Db,
  op: OperationRecord,
  part: number,
  afterId: number,
) => ItemSource | null;

/** Where filling a set has got to: the source's part, and the last id taken from it. */
interface FillPosition {
  part: number;
  after: number;
}

/** Appends the rows `range` selects after position `seq`, set-based; how many went in. */
async function insertRange(
  trx: Db,
  operationId: number,
  seq: number,
  range: ItemSource,
): Promise<number> {
  const inserted = await sql`
    INSERT INTO operation_items (operation_id, seq, item_id, revision)
    SELECT ${operationId}, ${seq} + row_number() OVER (ORDER BY s.item_id), s.item_id, s.revision
    FROM (${range}) AS s`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}

/** Appends given items (ids with revisions) in multi-row inserts; for sets computed in memory. */
export async function appendOperationItemValues(
  trx: Db,
  operationId: number,
  items: readonly { itemId: number; revision: number | null }[],
): Promise<number> {
  const base = await lastSeq(trx, operationId);
  // One statement for any number of items: the set travels as one JSON parameter.
  const j = tuplesOf(
    trx,
    'j',
    items.map((i) => [i.itemId, i.revision]),
    ['bigint', 'bigint'],
  );
  // A row's key counts from 0 on SQLite (json_each), from 1 on PostgreSQL (WITH ORDINALITY).
  const seq = engineOf(trx) === 'postgres' ? sql`${base} + ${j.key}` : sql`${base} + 1 + ${j.key}`;
  await sql`
    INSERT INTO operation_items (operation_id, seq, item_id, revision)
    SELECT ${operationId}, ${seq}, ${j.field(0)}, ${j.field(1)}
    FROM ${j.from}`.execute(trx);
  const total = base + items.length;
  await trx.updateTable('operations').set({ total }).where('id', '=', operationId).execute();
  return total;
}

/** The next `limit` items after `afterSeq`, in order. */
export async function operationItemsAfter(
  trx: Db,
  operationId: number,
  afterSeq: number,
  limit: number,
): Promise<OperationItem[]> {
  const rows = await trx
    .selectFrom('operation_items')
    .select(['seq', 'item_id', 'revision'])
    .where('operation_id', '=', operationId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: r.seq, itemId: r.item_id, revision: r.revision }));
}

/** Where an undo has got to, with the claim renewed; the row as it is then. */
function recordUndo(trx: Db, id: number, undo: OperationUndo, now: number, leaseMs: number) {
  return trx
    .updateTable('operations')
    .set({ undo: JSON.stringify(undo), error: null, updated_at: now, lease_until: now + leaseMs })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function createOperationsStore(db: Db) {
  const byId = (trx: Db, id: number) =>
    trx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();

  /** Inside a transaction: the operation, if `owner` still holds it and it is running. */
  async function owned(trx: Db, id: number, owner: string): Promise<OperationRecord> {
    const row = await byId(trx, id);
    if (!row || row.state !== 'running' || row.claimed_by !== owner) throw new LeaseLostError(id);
    return toRecord(row);
  }

  /**
   * Ends an operation (inside the caller's transaction). Its set is no longer needed, but is
   * dropped afterwards in pieces (dropItems), not in this transaction.
   */
  async function end(
    trx: Db,
    id: number,
    now: number,
    outcome: UpdateObject<Database, 'operations'>,
  ): Promise<OperationRecord> {
    const row = await trx
      .updateTable('operations')
      .set({ ...outcome, updated_at: now, finished_at: now, claimed_by: null, lease_until: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  return {
    async get(id: number): Promise<OperationRecord | null> {
      const row = await byId(db, id);
      return row ? toRecord(row) : null;
    },

    /** Newest first; only what the visibility lets through. */
    async list(q: OperationListQuery) {
      const after = decodeCursor(q.cursor, ['number', 'number']);
      let qb = db.selectFrom('operations').selectAll();
      if (q.namespace !== undefined) qb = qb.where('namespace', '=', q.namespace);
      if (q.state !== undefined) qb = qb.where('state', '=', q.state);
      if (q.visibility !== null) {
        const { actor, namespaces } = q.visibility;
        qb = qb.where((eb) =>
          eb.or([
            eb('actor', '=', actor),
            // Readers of a namespace see its operations only while it exists.
            eb.exists(
              eb
                .selectFrom('namespaces')
                .select('namespaces.id')
                .whereRef('namespaces.id', '=', 'operations.namespace_id')
                .whereRef('namespaces.name', '=', 'operations.namespace')
                .where(visibleTo(namespaces)),
            ),
          ]),
        );
      }
      if (after) qb = qb.where('id', '<', Number(after[1]));
      const rows = await qb
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return {
        items: page.map(toRecord),
        nextCursor: rows.length > q.limit && last ? encodeCursor([last.id, last.id]) : null,
      };
    },

    /**
     * Takes the operation for `owner` if it is running and unclaimed, already ours, or its
     * lease lapsed (the process working it died). Null when another process holds it.
     */
    async claim(id: number, owner: string, now: number, leaseMs: number) {
      const row = await db
        .updateTable('operations')
        .set({ claimed_by: owner, lease_until: now + leaseMs })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where((eb) =>
          eb.or([
            eb('claimed_by', 'is', null),
            eb('claimed_by', '=', owner),
            eb('lease_until', '<', now),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** Running operations nobody holds (lease lapsed or never claimed): to take over. */
    async lapsed(now: number): Promise<number[]> {
      const rows = await db
        .selectFrom('operations')
        .select('id')
        .where('state', '=', 'running')
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /**
     * One chunk in ONE transaction: `work` does the chunk's writes and says what it did, and
     * the same transaction records the progress and renews the lease. If the claim moved to
     * another process, nothing is done (LeaseLostError).
     */
    async runChunk(
      id: number,
      owner: string,
      now: number,
      leaseMs: number,
      work: (trx: Db, op: OperationRecord) => Promise<ChunkOutcome>,
    ): Promise<{ op: OperationRecord; outcome: ChunkOutcome }> {
      return db.transaction().execute(async (trx) => {
        const op = await owned(trx, id, owner);
        if (op.filling) throw new Error(`operation ${id} cannot run before its set is complete`);
        const outcome = await work(trx, op);
        const row = await trx
          .updateTable('operations')
          .set((eb) => ({
            done: eb('done', '+', outcome.handled),
            progress: JSON.stringify(outcome.progress ?? null),
            updated_at: now,
            lease_until: now + leaseMs,
            // A running operation's error says why it was waiting; it no longer is.
            error: null,
          }))
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { op: toRecord(row), outcome };
      });
    },

    /**
     * Ends the operation as succeeded in one transaction with what `work` does last (the
     * audit entry, removing rows) and the result body it returns. Its items go.
     */
    async finish(
      id: number,
      owner: string,
      now: number,
      work: (trx: Db, op: OperationRecord) => Promise<unknown>,
    ): Promise<OperationRecord> {
      return db.transaction().execute(async (trx) => {
        const op = await owned(trx, id, owner);
        const result = await work(trx, op);
        return end(trx, id, now, {
          state: 'succeeded',
          done: sql<number>`total`,
          result: JSON.stringify(result ?? null),
        });
      });
    },

    /**
     * Records that the operation failed and is to be undone: from now on it is worked (and
     * resumed after a crash) by undoing what its `done` positions did, never by going on.
     */
    async beginUndo(
      id: number,
      owner: string,
      error: { code: string; message: string },
      now: number,
      leaseMs: number,
    ): Promise<OperationRecord> {
      return db.transaction().execute(async (trx) => {
        const op = await owned(trx, id, owner);
        const undo: OperationUndo = { error, below: op.done + 1, restored: 0, skippedTags: 0 };
        return toRecord(await recordUndo(trx, id, undo, now, leaseMs));
      });
    },

    /**
     * One chunk of an undo in ONE transaction: `work` puts back a part and says where the
     * undo has got to, recorded in the same transaction (as runChunk does for the work).
     */
    async runUndoChunk(
      id: number,
      owner: string,
      now: number,
      leaseMs: number,
      work: (trx: Db, op: OperationRecord & { undo: OperationUndo }) => Promise<OperationUndo>,
    ): Promise<OperationRecord & { undo: OperationUndo }> {
      return db.transaction().execute(async (trx) => {
        const op = await owned(trx, id, owner);
        if (!op.undo) throw new Error(`operation ${id} is not being undone`);
        const undo = await work(trx, { ...op, undo: op.undo });
        return { ...toRecord(await recordUndo(trx, id, undo, now, leaseMs)), undo };
      });
    },

    /** Ends it as failed, with `work` (an audit entry) in the same transaction. */
    async fail(
      id: number,
      owner: string,
      error: { code: string; message: string },
      now: number,
      work?: (trx: Db, op: OperationRecord) => Promise<void>,
    ): Promise<OperationRecord> {
      return db.transaction().execute(async (trx) => {
        const op = await owned(trx, id, owner);
        if (work) await work(trx, op);
        return end(trx, id, now, { state: 'failed', error: JSON.stringify(error) });
      });
    },

    /**
     * Lets go of a claim without ending the operation: at shutdown (another start resumes it),
     * or when it must wait (`waiting`: why, e.g. the disk is full; the next scheduler tick
     * tries again, and the next chunk that commits clears it).
     */
    async release(
      id: number,
      owner: string,
      waiting: { code: string; message: string } | null = null,
    ): Promise<void> {
      await db
        .updateTable('operations')
        .set({
          claimed_by: null,
          lease_until: null,
          ...(waiting ? { error: JSON.stringify(waiting) } : {}),
        })
        .where('id', '=', id)
        .where('claimed_by', '=', owner)
        .where('state', '=', 'running')
        .execute();
    },

    /**
     * Fills the next piece of the operation's set from `parts` (at most `batch` rows) in ONE
     * transaction that also records the position reached and renews the lease; `complete`
     * once the set is (then `total` is its size). A crash rolls the piece back whole and the
     * next step starts from the recorded position, so no row is taken twice or missed.
     */
    async fillStep(
      id: number,
      owner: string,
      now: number,
      leaseMs: number,
      parts: ItemSourceParts,
      batch = FILL_BATCH,
    ): Promise<{ op: OperationRecord; complete: boolean }> {
      return db.transaction().execute(async (trx) => {
        const row = await byId(trx, id);
        if (!row || row.state !== 'running' || row.claimed_by !== owner) {
          throw new LeaseLostError(id);
        }
        if (row.fill === null) return { op: toRecord(row), complete: true };
        const at = JSON.parse(row.fill) as FillPosition;
        const seq = await lastSeq(trx, id);
        const source = parts(trx, toRecord(row), at.part, at.after);
        let next: FillPosition | null = null;
        let filled = seq;
        if (source !== null) {
          const n = await insertRange(trx, id, seq, source.orderBy('item_id').limit(batch));
          filled += n;
          next =
            n < batch
              ? { part: at.part + 1, after: 0 }
              : { part: at.part, after: await itemIdAt(trx, id, filled) };
        }
        const updated = await trx
          .updateTable('operations')
          .set({
            fill: next === null ? null : JSON.stringify(next),
            // The expected size stands until the set is complete, so progress never jumps back.
            total: next === null ? filled : Math.max(row.total, filled),
            updated_at: now,
            lease_until: now + leaseMs,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { op: toRecord(updated), complete: next === null };
      });
    },

    /**
     * Deletes an ended operation's set in pieces of `batch` rows, each its own statement with a
     * turn of the event loop between them (one DELETE of 900,000 rows held the write lock for
     * about a second). A running operation's set is never touched.
     */
    async dropItems(id: number, batch = DROP_BATCH): Promise<void> {
      for (;;) {
        const deleted = await sql`
          DELETE FROM operation_items
          WHERE operation_id = ${id}
            AND seq < (SELECT min(seq) FROM operation_items WHERE operation_id = ${id}) + ${batch}
            AND EXISTS (SELECT 1 FROM operations WHERE id = ${id} AND state <> 'running')`.execute(
          db,
        );
        if (Number(deleted.numAffectedRows ?? 0) === 0) return;
        await nextTurn();
      }
    },

    /** Ended operations whose set is still there (a crash came between their end and its drop). */
    async endedWithItems(): Promise<number[]> {
      const rows = await db
        .selectFrom('operations')
        .select('id')
        .where('state', '<>', 'running')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('operation_items')
              .select('seq')
              .whereRef('operation_items.operation_id', '=', 'operations.id'),
          ),
        )
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },

    async require(id: number): Promise<OperationRecord> {
      const op = await this.get(id);
      if (!op) throw new NotFoundError('OPERATION_UNKNOWN', `operation ${id} does not exist`);
      return op;
    },
  };
}

export type OperationsStore = ReturnType<typeof createOperationsStore>;
