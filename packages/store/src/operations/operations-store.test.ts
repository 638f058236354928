import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from '../connect.js';
import { createStore, type Store } from '../store.js';
import {
  LeaseLostError,
  appendOperationItemValues,
  appendOperationItems,
  createOperation,
  operationItemsAfter,
} from './operations-store.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string;
let handle: SqliteHandle;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ops-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  store = createStore(handle.db);
});
afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

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

it('fixes its set in keyset ranges and works it in chunks that record their progress', async () => {
  const id = await handle.db.transaction().execute(async (trx) => {
    const op = await createOperation(trx, newOp('p1'));
    // The audit table stands in for any source: 25 rows, inserted set-based 10 at a time.
    for (let i = 0; i < 25; i++) {
      await trx
        .insertInto('audit_events')
        .values({
          at: i,
          actor: 'a',
          action: 'x',
          target: 't',
          outcome: 'success',
          details: null,
          request_id: null,
        })
        .execute();
    }
    await appendOperationItems(
      trx,
      op,
      (afterId) =>
        trx
          .selectFrom('audit_events')
          .select(['id as item_id', 'at as revision'])
          .where('id', '>', afterId),
      10,
    );
    return op;
  });
  expect((await store.operations.require(id)).total).toBe(25);
  const first = await operationItemsAfter(handle.db, id, 0, 10);
  expect(first.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(first[3]).toEqual({ seq: 4, itemId: 4, revision: 3 });

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
  expect(await operationItemsAfter(handle.db, id, 0, 100)).toEqual([]);
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
