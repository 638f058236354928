import type { ActionContext } from '../context.js';
import type { Db } from '../database.js';
import type { Store } from '../store.js';
import type {
  ChunkOutcome,
  ItemSourceParts,
  OperationRecord,
} from '../operations/operations-store.js';
import {
  type RepositoriesTrashedResult,
  finishRepositoryDelete,
  repositoryDeleteChunk,
  repositoryDeleteItems,
  startRepositoryDelete,
} from '../operations/repository-delete.js';
import { undoTrashingChunk } from '../operations/trashing-undo.js';

const OWNER = 'store-tests';

/** Claim for operations that tests start and then work with runOperation. */
export const TEST_CLAIM = { owner: OWNER, leaseMs: 60_000 };

/**
 * Works an operation to its end the way the server's runner does (chunk transactions, then
 * the finishing one), for store tests that have no server.
 */
export async function runOperation<R>(
  store: Store,
  id: number,
  kind: {
    chunk(trx: Db, op: OperationRecord, budget: number, now: number): Promise<ChunkOutcome>;
    finish(trx: Db, op: OperationRecord, now: number): Promise<R>;
    /** The set's source, for an operation whose set is filled after its start. */
    items?: ItemSourceParts;
  },
  now: number,
  budget = 1000,
): Promise<R> {
  const { items } = kind;
  if (items) while (!(await store.operations.fillStep(id, OWNER, now, 60_000, items)).complete);
  for (;;) {
    const { outcome } = await store.operations.runChunk(id, OWNER, now, 60_000, (trx, op) =>
      kind.chunk(trx, op, budget, now),
    );
    if (outcome.finished) break;
  }
  let result: R | undefined;
  await store.operations.finish(id, OWNER, now, async (trx, op) => {
    result = await kind.finish(trx, op, now);
    return result;
  });
  await store.operations.dropItems(id);
  return result as R;
}

/** Deletes repositories the way the server does (an operation worked to its end). */
export async function deleteRepositories(
  store: Store,
  namespace: string,
  repositories: readonly string[],
  ctx: ActionContext,
  budget = 1000,
): Promise<RepositoriesTrashedResult> {
  const id = await startRepositoryDelete(store.db, namespace, repositories, ctx, TEST_CLAIM);
  return runOperation(
    store,
    id,
    { items: repositoryDeleteItems, chunk: repositoryDeleteChunk, finish: finishRepositoryDelete },
    ctx.now,
    budget,
  );
}

/**
 * Works an operation the way the server's runner does until a chunk throws: the error, or
 * null when it ended. For tests that make a chunk fail part-way.
 */
export async function runOperationUntilItFails(
  store: Store,
  id: number,
  kind: Parameters<typeof runOperation>[2],
  now: number,
  budget: number,
): Promise<unknown> {
  try {
    await runOperation(store, id, kind, now, budget);
    return null;
  } catch (err) {
    return err;
  }
}

/**
 * What the runner does with a failed operation that can be undone: records the undo, works
 * its chunks (`stopAfter` of them, to leave it half-done as a crash would), and ends it as
 * failed with `failed` in the ending transaction.
 */
export async function undoOperation(
  store: Store,
  id: number,
  error: { code: string; message: string },
  failed: (
    trx: Db,
    op: OperationRecord,
    error: { code: string; message: string },
    now: number,
  ) => Promise<void>,
  now: number,
  opts: { budget?: number; stopAfter?: number; begin?: boolean } = {},
): Promise<OperationRecord> {
  const { budget = 1000, stopAfter = Infinity, begin = true } = opts;
  let op = begin
    ? await store.operations.beginUndo(id, OWNER, error, now, 60_000)
    : await store.operations.require(id);
  for (let chunks = 0; op.undo && op.undo.below > 1; chunks++) {
    if (chunks === stopAfter) return op;
    op = await store.operations.runUndoChunk(id, OWNER, now, 60_000, (trx, current) =>
      undoTrashingChunk(trx, current, budget, now),
    );
  }
  const ended = await store.operations.fail(id, OWNER, error, now, (trx, current) =>
    failed(trx, current, error, now),
  );
  await store.operations.dropItems(id);
  return ended;
}
