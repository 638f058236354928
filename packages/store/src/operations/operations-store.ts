import { NotFoundError } from '@berth/domain';
import { type Selectable, type SelectQueryBuilder, type UpdateObject, sql } from 'kysely';
import type { Database, Db, OperationRowState, OperationsTable } from '../database.js';
import { currentRequestId } from '../audit-context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { type NamespaceVisibility, visibleTo } from '../namespaces-store.js';

/*
 * Recorded operations (migration 0008). An operation is created with the set it works on
 * (operation_items, fixed at its start), then worked in chunks: each chunk is ONE short
 * transaction that does the work of a bounded number of items AND records the progress it
 * made, so a crash between chunks leaves a consistent store and the operation resumes from
 * its recorded progress. Exactly one process works an operation at a time: it holds a claim
 * (claimed_by + lease_until) that every chunk renews; a lease that lapses (the process died)
 * is taken over by any process.
 */

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
  result: unknown;
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
    result: parse(r.result),
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

/** Rows a set source yields: the item's id (its order too) and an optional revision. */
export type ItemSource = SelectQueryBuilder<
  Database,
  never,
  { item_id: number; revision: number | null }
>;

/**
 * Appends what `source(afterId)` selects to the operation's set, set-based: INSERT … SELECT
 * in keyset ranges of `batch` ids (never one row per statement). `source` must select
 * `item_id` and `revision` of the rows with an id above `afterId`, in id order. Sets `total`.
 * Runs inside the caller's transaction, so the set is fixed as of that transaction.
 */
export async function appendOperationItems(
  trx: Db,
  operationId: number,
  source: (afterId: number) => ItemSource,
  batch = 100_000,
): Promise<number> {
  let seq = await lastSeq(trx, operationId);
  let afterId = 0;
  for (;;) {
    const range = source(afterId).orderBy('item_id').limit(batch);
    const inserted = await sql`
      INSERT INTO operation_items (operation_id, seq, item_id, revision)
      SELECT ${operationId}, ${seq} + row_number() OVER (ORDER BY s.item_id), s.item_id, s.revision
      FROM (${range}) AS s`.execute(trx);
    const n = Number(inserted.numAffectedRows ?? 0);
    if (n === 0) break;
    seq += n;
    const tail = await trx
      .selectFrom('operation_items')
      .select('item_id')
      .where('operation_id', '=', operationId)
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
    afterId = tail.item_id;
    if (n < batch) break;
  }
  await trx.updateTable('operations').set({ total: seq }).where('id', '=', operationId).execute();
  return seq;
}

/** Appends given items (ids with revisions) in multi-row inserts; for sets computed in memory. */
export async function appendOperationItemValues(
  trx: Db,
  operationId: number,
  items: readonly { itemId: number; revision: number | null }[],
): Promise<number> {
  const base = await lastSeq(trx, operationId);
  // One statement for any number of items: the set travels as one JSON parameter.
  await sql`
    INSERT INTO operation_items (operation_id, seq, item_id, revision)
    SELECT ${operationId}, ${base} + 1 + j.key, j.value ->> 0, j.value ->> 1
    FROM json_each(${JSON.stringify(items.map((i) => [i.itemId, i.revision]))}) AS j`.execute(trx);
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

export function createOperationsStore(db: Db) {
  const byId = (trx: Db, id: number) =>
    trx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();

  /** Inside a transaction: the operation, if `owner` still holds it and it is running. */
  async function owned(trx: Db, id: number, owner: string): Promise<OperationRecord> {
    const row = await byId(trx, id);
    if (!row || row.state !== 'running' || row.claimed_by !== owner) throw new LeaseLostError(id);
    return toRecord(row);
  }

  /** Ends an operation (inside the caller's transaction): its set is no longer needed. */
  async function end(
    trx: Db,
    id: number,
    now: number,
    outcome: UpdateObject<Database, 'operations'>,
  ): Promise<OperationRecord> {
    await trx.deleteFrom('operation_items').where('operation_id', '=', id).execute();
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

    async require(id: number): Promise<OperationRecord> {
      const op = await this.get(id);
      if (!op) throw new NotFoundError('OPERATION_UNKNOWN', `operation ${id} does not exist`);
      return op;
    },
  };
}

export type OperationsStore = ReturnType<typeof createOperationsStore>;
