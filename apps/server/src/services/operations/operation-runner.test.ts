import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StorageFullError } from '@berth/domain';
import {
  type SqliteHandle,
  type Store,
  createOperation,
  createStore,
  openSqlite,
} from '@berth/store';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  DEFAULT_OPERATION_SETTINGS,
  type OperationKindRunner,
  createOperationRunner,
} from './operation-runner.js';
import { toOperation } from './operations-service.js';

/*
 * What the runner does when a chunk throws, on a real SQLite file: a full disk pauses
 * background work (committed chunks stay, the reason is shown, the next resume goes on), work
 * that must finish pauses on any error, other errors fail it (after undoing it, for a kind
 * that can be undone), and a request waiting for a one-chunk operation gets the error itself.
 */

let dir: string;
let handle: SqliteHandle;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-runner-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  store = createStore(handle.db);
});
afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const CHUNKS = 4;

/** Four chunks of 10 "images"; `failAt` throws instead of doing the chunk with that number. */
function countingKind(failAt: Map<number, () => Error>, extra: Partial<OperationKindRunner> = {}) {
  const kind: OperationKindRunner = {
    async chunk(_trx, op) {
      const n = ((op.progress as number | null) ?? 0) + 1;
      const fail = failAt.get(n);
      if (fail) {
        failAt.delete(n);
        throw fail();
      }
      return { handled: 10, progress: n, finished: n === CHUNKS };
    },
    async finish(_trx, op) {
      return { chunks: op.progress };
    },
    ...extra,
  };
  return kind;
}

async function setUp(kind: OperationKindRunner, settings = DEFAULT_OPERATION_SETTINGS) {
  const runner = createOperationRunner(
    { store, logger: pino({ level: 'silent' }), clock: () => Date.now() },
    settings,
  );
  runner.register('test.counting', kind);
  const id = await handle.db.transaction().execute((trx) =>
    createOperation(trx, {
      kind: 'test.counting',
      namespace: 'team',
      namespaceId: null,
      target: 'team/app',
      actor: 'user:alice',
      params: null,
      now: Date.now(),
      owner: runner.owner,
      leaseMs: 30_000,
    }),
  );
  return { runner, id };
}

it('pauses background work on a full disk, keeps what committed, says why, and goes on at the next resume', async () => {
  const { runner, id } = await setUp(countingKind(new Map([[3, () => new StorageFullError()]])));

  const paused = await runner.run(id);
  expect(paused).toMatchObject({ state: 'running', done: 20, progress: 2 });
  const view = toOperation(paused!);
  expect(view.waiting?.code).toBe('STORAGE_FULL');
  expect(view.error).toBeNull();
  // Nobody holds it now: the next scheduler tick's resume takes it.
  expect(await store.operations.lapsed(Date.now())).toEqual([id]);

  await runner.resume();
  await until(async () => (await store.operations.get(id))?.state === 'succeeded');
  const ended = await store.operations.get(id);
  // done becomes total at the end; this set was never counted.
  expect(ended).toMatchObject({ state: 'succeeded', result: { chunks: 4 } });
  expect(toOperation(ended!).waiting).toBeNull();
});

it('a committed chunk clears the reason it waited', async () => {
  const failAt = new Map([
    [2, () => new StorageFullError()],
    [4, () => new StorageFullError()],
  ]);
  const { runner, id } = await setUp(countingKind(failAt));
  expect((await runner.run(id))?.error?.code).toBe('STORAGE_FULL');
  // Chunks 2 and 3 commit, then chunk 4 waits again.
  expect(await runner.run(id)).toMatchObject({ state: 'running', done: 30 });
  const afterResume = await runner.run(id);
  expect(afterResume).toMatchObject({ state: 'succeeded', error: null });
});

it('fails background work on any other error, keeping the chunks that committed', async () => {
  const { runner, id } = await setUp(countingKind(new Map([[2, () => new Error('boom')]])));
  const ended = await runner.run(id);
  expect(ended).toMatchObject({ state: 'failed', done: 10 });
  const view = toOperation(ended!);
  expect(view.error).toEqual({
    code: 'OPERATION_FAILED',
    message: 'the operation stopped: Error: boom',
  });
  expect(view.waiting).toBeNull();
  expect(await store.operations.lapsed(Date.now())).toEqual([]);
});

it('pauses work that must finish on any error, in the foreground too', async () => {
  const failAt = new Map([[1, () => new Error('boom')]]);
  const { runner, id } = await setUp(countingKind(failAt, { mustFinish: true }));
  const paused = await runner.run(id, { foreground: true });
  expect(paused).toMatchObject({ state: 'running', done: 0 });
  expect(toOperation(paused!).waiting?.message).toMatch(/boom/);
  expect((await runner.run(id))?.state).toBe('succeeded');
});

it('a request waiting for its operation gets the full-disk error itself, and the operation fails having done nothing', async () => {
  const { runner, id } = await setUp(countingKind(new Map([[1, () => new StorageFullError()]])));
  await expect(runner.run(id, { foreground: true })).rejects.toBeInstanceOf(StorageFullError);
  expect(await store.operations.get(id)).toMatchObject({ state: 'failed', done: 0 });
});

it('rests between chunks when told to, leaving the writer to others', async () => {
  const starts: number[] = [];
  const kind = countingKind(new Map());
  const chunk = kind.chunk;
  kind.chunk = (trx, op, budget, now) => {
    starts.push(performance.now());
    return chunk(trx, op, budget, now);
  };
  const restMs = 60;
  const { runner, id } = await setUp(kind, { ...DEFAULT_OPERATION_SETTINGS, restMs });
  expect(await runner.run(id)).toMatchObject({ state: 'succeeded' });
  expect(starts).toHaveLength(CHUNKS);
  // Timers may fire a millisecond early; without the rest the gaps are about 1 ms.
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(restMs - 2);
});

/** An undo that puts back one "image" per position; `failFirst` throws on its first chunk. */
function undoingKind(failAt: Map<number, () => Error>, failFirst: boolean) {
  let fail = failFirst;
  return countingKind(failAt, {
    async undo(_trx, op, budget) {
      if (fail) {
        fail = false;
        throw new Error('undo boom');
      }
      const from = Math.max(1, op.undo.below - budget);
      return { ...op.undo, below: from, restored: op.undo.restored + (op.undo.below - from) };
    },
  });
}

it('undoes a kind that can be undone before failing it; an undo that meets an error pauses and is finished by the next run', async () => {
  const { runner, id } = await setUp(undoingKind(new Map([[3, () => new Error('boom')]]), true));
  const paused = await runner.run(id);
  expect(paused).toMatchObject({ state: 'running', done: 20 });
  const view = toOperation(paused!);
  expect(view.waiting?.message).toMatch(/undo boom/);
  expect(view.rolledBack).toEqual({ images: 0, skippedTags: 0 });
  expect(await store.operations.lapsed(Date.now())).toEqual([id]);
  // Resumed, it finishes the undo (the work's chunk 3 would now succeed: it is not tried).
  const ended = await runner.run(id);
  expect(ended).toMatchObject({ state: 'failed', done: 20, progress: 2 });
  expect(toOperation(ended!)).toMatchObject({
    error: { code: 'OPERATION_FAILED', message: 'the operation stopped: Error: boom' },
    waiting: null,
    rolledBack: { images: 20, skippedTags: 0 },
  });
});

it('a request waiting for an operation that can be undone gets its error once it is undone', async () => {
  const { runner, id } = await setUp(undoingKind(new Map([[1, () => new Error('boom')]]), false));
  await expect(runner.run(id, { foreground: true })).rejects.toThrow('boom');
  expect(toOperation((await store.operations.get(id))!)).toMatchObject({
    state: 'failed',
    done: 0,
    rolledBack: { images: 0, skippedTags: 0 },
  });
});

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
