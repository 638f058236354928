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
