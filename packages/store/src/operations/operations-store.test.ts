import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../postgres/connect.js';
import type { Engine, StoreHandle } from '../store-handle.js';
import { createStore, type Store } from '../store.js';
import { type TestDatabase, openTestDatabase, testEngines } from '../testing/engines.js';
import {
  type ItemSourceParts,
  LeaseLostError,
  appendOperationItemValues,
  createOperation,
  createOperationsStore,
  operationItemsAfter,
} from './operations-store.js';

const T0 = Date.UTC(2026, 0, 1);
let database: TestDatabase;
let handle: StoreHandle;
let store: Store;

async function open(engine: Engine) {
  database = await openTestDatabase(engine);
  handle = database.handle;
  store = createStore(handle.db);
}

const newOp = (owner: string) => ({
  kind: 'test.kind',
  namespace: 'team',
  namespaceId: null,
  target: 'team/app',
  actor: 'user:alice',
  params: { repository: 'app' },
  now: T0,
  owner,
  leaseMs: 1000,
});

const auditRow = (at: number) => ({
  at,
  actor: 'a',
  action: 'x',
  target: 't',
  outcome: 'success' as const,
  details: null,
  request_id: null,
});

/** The audit table stands in for any source: part 0 its even ids, part 1 its odd ones, up to `upTo`. */
const auditParts: ItemSourceParts = (trx, op, part, afterId) => {
  const { upTo } = op.params as { upTo: number };
  if (part > 1) return null;
  return trx
    .selectFrom('audit_events')
    .select(['id as item_id', 'at as revision'])
    .where(sql<boolean>`id % 2 = ${part}`)
    .where('id', '>', afterId)
    .where('id', '<=', upTo);
};

async function auditRows(n: number, from = 0) {
  for (let i = from; i < from + n; i++) {
    await handle.db.insertInto('audit_events').values(auditRow(i)).execute();
  }
}

describe.each(testEngines())('operations on %s', (engine) => {
  beforeEach(() => open(engine));
  afterEach(() => database.dispose());

  it('fills its set in pieces after the start, and a crash mid-fill resumes with exactly the set as of the start', async () => {
    await auditRows(25);
    const id = await handle.db.transaction().execute((trx) =>
      createOperation(trx, {
        ...newOp('p1'),
        params: { upTo: 25 },
        filledLater: { expected: 25 },
      }),
    );
    expect(await store.operations.require(id)).toMatchObject({ filling: true, total: 25 });
    // No chunk runs on a set still being filled.
    await expect(
      store.operations.runChunk(id, 'p1', T0, 1000, async () => ({
        handled: 0,
        progress: null,
        finished: true,
      })),
    ).rejects.toThrow(/before its set is complete/);
    // Two pieces of 4, then the process dies (its lease lapses); rows added since stay out.
    for (let i = 0; i < 2; i++) {
      const step = await store.operations.fillStep(id, 'p1', T0, 1000, auditParts, 4);
      expect(step.complete).toBe(false);
    }
    await auditRows(5, 100);
    expect(await store.operations.lapsed(T0 + 2000)).toEqual([id]);
    expect(await store.operations.claim(id, 'p2', T0 + 2000, 1000)).not.toBeNull();
    // The old holder's pieces are refused; the new one fills on from the recorded position.
    await expect(
      store.operations.fillStep(id, 'p1', T0 + 2000, 1000, auditParts, 4),
    ).rejects.toBeInstanceOf(LeaseLostError);
    let steps = 0;
    for (;;) {
      steps++;
      const step = await store.operations.fillStep(id, 'p2', T0 + 2000, 1000, auditParts, 4);
      if (step.complete) {
        expect(step.op).toMatchObject({ filling: false, total: 25 });
        break;
      }
    }
    expect(steps).toBeGreaterThan(3);
    const set = await operationItemsAfter(handle.db, id, 0, 100);
    // Part 0 (even ids) in id order, then part 1 (odd ids): each id once, none added later.
    const even = Array.from({ length: 12 }, (_, i) => 2 * (i + 1));
    const odd = Array.from({ length: 13 }, (_, i) => 2 * i + 1);
    expect(set.map((i) => i.itemId)).toEqual([...even, ...odd]);
    expect(set.map((i) => i.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(set[0]).toEqual({ seq: 1, itemId: 2, revision: 1 });
    // Filling a complete set again adds nothing.
    expect(
      (await store.operations.fillStep(id, 'p2', T0 + 2000, 1000, auditParts, 4)).op.total,
    ).toBe(25);
    expect(await operationItemsAfter(handle.db, id, 25, 100)).toEqual([]);
  });

  it('works its set in chunks that record their progress, and drops the set in pieces once ended', async () => {
    await auditRows(25);
    const id = await handle.db.transaction().execute((trx) =>
      createOperation(trx, {
        ...newOp('p1'),
        params: { upTo: 25 },
        filledLater: { expected: 25 },
      }),
    );
    while (!(await store.operations.fillStep(id, 'p1', T0, 1000, auditParts, 10)).complete);
    expect((await store.operations.require(id)).total).toBe(25);
    const first = await operationItemsAfter(handle.db, id, 0, 10);
    expect(first.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first[3]).toEqual({ seq: 4, itemId: 8, revision: 7 });

    // Another process cannot take it while the lease holds…
    expect(await store.operations.claim(id, 'p2', T0 + 500, 1000)).toBeNull();
    await expect(
      store.operations.runChunk(id, 'p2', T0, 1000, async () => ({
        handled: 1,
        progress: null,
        finished: false,
      })),
    ).rejects.toBeInstanceOf(LeaseLostError);
    // …and takes it over once it lapsed; the old holder's chunks are refused from then on.
    expect(await store.operations.lapsed(T0 + 2000)).toEqual([id]);
    expect(await store.operations.claim(id, 'p2', T0 + 2000, 1000)).not.toBeNull();
    await expect(
      store.operations.runChunk(id, 'p1', T0, 1000, async () => ({
        handled: 1,
        progress: null,
        finished: false,
      })),
    ).rejects.toBeInstanceOf(LeaseLostError);

    let after = 0;
    for (;;) {
      const { op, outcome } = await store.operations.runChunk(
        id,
        'p2',
        T0 + 2100,
        1000,
        async (trx, current) => {
          expect(JSON.stringify(current.progress ?? { after: 0 })).toBe(JSON.stringify({ after }));
          const items = await operationItemsAfter(trx, current.id, after, 10);
          after = items.at(-1)?.seq ?? after;
          return { handled: items.length, progress: { after }, finished: items.length < 10 };
        },
      );
      if (outcome.finished) {
        expect(op.done).toBe(25);
        break;
      }
    }
    const ended = await store.operations.finish(id, 'p2', T0 + 3000, async () => ({ ok: true }));
    expect(ended).toMatchObject({
      state: 'succeeded',
      done: 25,
      result: { ok: true },
      finishedAt: T0 + 3000,
    });
    // The ending transaction leaves the set; it goes afterwards in pieces (here of 10 rows).
    expect(await operationItemsAfter(handle.db, id, 0, 100)).toHaveLength(25);
    expect(await store.operations.endedWithItems()).toEqual([id]);
    await store.operations.dropItems(id, 10);
    expect(await operationItemsAfter(handle.db, id, 0, 100)).toEqual([]);
    expect(await store.operations.endedWithItems()).toEqual([]);
    expect(await store.operations.lapsed(T0 + 10_000)).toEqual([]);
  });

  it('takes a computed set in one statement and lists operations by visibility', async () => {
    const id = await handle.db.transaction().execute(async (trx) => {
      const op = await createOperation(trx, newOp('p1'));
      await appendOperationItemValues(
        trx,
        op,
        Array.from({ length: 3000 }, (_, i) => ({ itemId: 3000 - i, revision: i })),
      );
      return op;
    });
    // A running operation's set is never dropped.
    await store.operations.dropItems(id);
    const items = await operationItemsAfter(handle.db, id, 2998, 10);
    expect(items).toEqual([
      { seq: 2999, itemId: 2, revision: 2998 },
      { seq: 3000, itemId: 1, revision: 2999 },
    ]);
    const visible = (actor: string, all = false) =>
      store.operations.list({
        limit: 10,
        visibility: all ? null : { actor, namespaces: { userId: null, names: [] } },
      });
    expect((await visible('user:alice')).items.map((o) => o.id)).toEqual([id]);
    expect((await visible('user:bob')).items).toEqual([]);
    expect((await visible('user:bob', true)).items).toHaveLength(1);
  });
});

describe.runIf(testEngines().includes('postgres'))('operations across processes', () => {
  beforeEach(() => open('postgres'));
  afterEach(() => database.dispose());

  it('two processes racing to claim the same operation: exactly one wins each time', async () => {
    // A second process: its own pool on the same database.
    const other = await openPostgres(database.url!, { poolSize: 4 });
    try {
      const mine = createOperationsStore(handle.db);
      const theirs = createOperationsStore(other.db);
      for (let round = 0; round < 20; round++) {
        const id = await handle.db
          .transaction()
          .execute((trx) => createOperation(trx, newOp('starter')));
        // The starter let go of it (it shut down): both processes find it to take over.
        await mine.release(id, 'starter');
        const lapsed = await Promise.all([mine.lapsed(T0), theirs.lapsed(T0)]);
        expect(lapsed).toEqual([[id], [id]]);
        const [a, b] = await Promise.all([
          mine.claim(id, 'process-a', T0, 60_000),
          theirs.claim(id, 'process-b', T0, 60_000),
        ]);
        const winners = [a, b].filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        const winner = a ? 'process-a' : 'process-b';
        const loser = a ? 'process-b' : 'process-a';
        expect((await mine.require(id)).state).toBe('running');
        // The loser's chunks are refused; the winner's go through.
        const loserStore = a ? theirs : mine;
        const winnerStore = a ? mine : theirs;
        await expect(
          loserStore.runChunk(id, loser, T0, 60_000, async () => ({
            handled: 0,
            progress: null,
            finished: true,
          })),
        ).rejects.toBeInstanceOf(LeaseLostError);
        await winnerStore.finish(id, winner, T0, async () => null);
      }
    } finally {
      await other.close();
    }
  });
});
