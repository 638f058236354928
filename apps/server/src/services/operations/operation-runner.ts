import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { BerthError, StorageFullError } from '@berth/domain';
import {
  type ChunkOutcome,
  type Db,
  type ItemSourceParts,
  LeaseLostError,
  type OperationRecord,
  type OperationUndo,
  type Store,
} from '@berth/store';
import type { Logger } from 'pino';
import type { Clock } from '../deps.js';
import { createChunkBudget } from './chunk-budget.js';

/**
 * How a kind of operation is worked. A kind registers one of these with the runner
 * (`runner.register('repository.delete', kindRunner)`) once, when the services are created;
 * the service that starts such an operation creates its row (store `createOperation`, with its
 * item set) and calls `runner.run(id)`.
 *
 * - `chunk` does the next piece of work inside ONE transaction the runner opened; the same
 *   transaction records the progress it returns (ChunkOutcome.progress, read back as
 *   `op.progress` by the next chunk) and adds `handled` to `done`. It must handle at most
 *   `budget` images, so the write lock is held for tens of milliseconds. A crash rolls the
 *   chunk back whole, and the next attempt starts from the same `op.progress`.
 * - `finish` runs once `chunk` said `finished`, in one transaction: the audit entry and the
 *   result body (stored as the operation's `result`, the body the endpoint answers when the
 *   work fits in one chunk).
 * - `afterFinish` runs outside any transaction after `finish` committed (removing blob
 *   files); a crash may skip it, so it must only do what something else also finishes later.
 * - `failed` adds to the transaction that records a failure (an audit entry).
 * - `items` is the source of the set when the operation was created to have it filled
 *   afterwards (`filledLater`): the runner fills it in pieces before the first chunk, and
 *   resumes the filling where a crash stopped it.
 *
 * Once an operation has ended, the runner drops its set in pieces (and `resume` drops the
 * sets a crash left behind).
 *
 * Run in the background, an operation that meets a full disk (or any error, for a `mustFinish`
 * kind) is not failed but paused: its claim is let go with the reason recorded, and the next
 * `resume` (every scheduler tick) goes on from the last committed chunk.
 *
 * Any other error fails the operation. A kind with `undo` (the ones that move images to the
 * trash) is first undone, so that it either happened fully or not at all: the runner records
 * on the operation that it is being undone (store `beginUndo`), then works `undo` chunks, each
 * in ONE transaction with where the undo has got to, until the positions its committed chunks
 * handled are all undone, and only then ends it as failed. From `beginUndo` on, a crash or a
 * `resume` finishes the undo, never the work. An undo that meets an error is paused like a
 * `mustFinish` kind (it cannot be left half-done either) and tried again on the next tick.
 */
export interface OperationKindRunner {
  /** `now` is the runner's clock at the chunk (what the chunk's rows record as their time). */
  chunk(trx: Db, op: OperationRecord, budget: number, now: number): Promise<ChunkOutcome>;
  finish(trx: Db, op: OperationRecord, now: number): Promise<unknown>;
  afterFinish?(op: OperationRecord): Promise<void>;
  items?: ItemSourceParts;
  /**
   * Its chunk gives the event loop a turn between its long statements (restores and trashing
   * do; a namespace delete's cascade is one statement), so a
   * pull or a page waits for a part of a chunk only: its chunks are sized to twice the target.
   */
  turnsWithinChunk?: boolean;
  /**
   * Work that cannot be undone and must not stay half-done (a namespace delete: its namespace
   * is already hidden): any error pauses it, to be tried again on the next scheduler tick,
   * instead of ending it as failed.
   */
  mustFinish?: boolean;
  /**
   * Puts back what the chunks did for the positions of the set just below `op.undo.below`
   * (at most `budget` of them), in the runner's transaction, and says where it has got to.
   * Only for kinds that work their set in order, one position per image handled, so that
   * `done` is the last position a committed chunk handled.
   */
  undo?(
    trx: Db,
    op: OperationRecord & { undo: OperationUndo },
    budget: number,
    now: number,
  ): Promise<OperationUndo>;
  failed?(
    trx: Db,
    op: OperationRecord,
    error: { code: string; message: string },
    now: number,
  ): Promise<void>;
}

export interface OperationSettings {
  /**
   * Images of an operation's first chunk transaction, and the largest set worked while the
   * request waits (BERTH_BULK_CHUNK_IMAGES).
   */
  chunkImages: number;
  /**
   * How long a chunk should hold the write lock (BERTH_BULK_CHUNK_MS): chunks after the first
   * are sized to it from what the last ones cost, up to four times chunkImages (see
   * chunk-budget.ts). 0: every chunk handles chunkImages.
   */
  chunkTargetMs: number;
  /** How long a claim holds without a chunk renewing it (a crashed process's work is taken over after it). */
  leaseMs: number;
  /**
   * How long bulk work rests between its chunks (BERTH_BULK_REST_MS), leaving the writer to
   * pushes and other work, as PostgreSQL's vacuum_cost_delay does for vacuum: bulk work then
   * takes longer, and nothing else waits more. 0: only the event loop's turn.
   */
  restMs: number;
}

export const DEFAULT_OPERATION_SETTINGS: OperationSettings = {
  chunkImages: 250,
  chunkTargetMs: 25,
  leaseMs: 30_000,
  restMs: 0,
};

export function createOperationRunner(
  { store, logger, clock }: { store: Store; logger: Logger; clock: Clock },
  settings: OperationSettings = DEFAULT_OPERATION_SETTINGS,
) {
  const kinds = new Map<string, OperationKindRunner>();
  // One name per process: a claim names the process that holds it.
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const running = new Map<number, Promise<OperationRecord | null>>();
  let stopping = false;

  /** Between two chunks: whatever waited for the database during the last one runs now. */
  function betweenChunks(): Promise<unknown> {
    return settings.restMs > 0 ? sleep(settings.restMs) : nextTurn();
  }

  async function work(id: number, foreground: boolean): Promise<OperationRecord | null> {
    let op = await store.operations.claim(id, owner, clock(), settings.leaseMs);
    if (!op) return null;
    const kind = kinds.get(op.kind);
    if (!kind) {
      logger.error({ operation: id, kind: op.kind }, 'no runner for this kind of operation');
      return null;
    }
    // Failed earlier, and its undo was cut short (a crash, a pause): the undo is finished.
    if (op.undo) return undoToEnd(op, kind, null);
    const started = Date.now();
    const budget = createChunkBudget(
      settings.chunkImages,
      settings.chunkTargetMs * (kind.turnsWithinChunk ? 2 : 1),
    );
    let chunks = 0;
    let longestMs = 0;
    try {
      while (op.filling) {
        if (stopping) {
          await store.operations.release(id, owner);
          return null;
        }
        if (!kind.items) throw new Error(`operations of kind ${op.kind} have no item source`);
        const filled = await store.operations.fillStep(
          id,
          owner,
          clock(),
          settings.leaseMs,
          kind.items,
        );
        op = filled.op;
        if (!filled.complete) await betweenChunks();
      }
      for (;;) {
        if (stopping) {
          await store.operations.release(id, owner);
          return null;
        }
        const t0 = performance.now();
        const now = clock();
        const { op: after, outcome } = await store.operations.runChunk(
          id,
          owner,
          now,
          settings.leaseMs,
          (trx, current) => kind.chunk(trx, current, budget.images, now),
        );
        const ms = performance.now() - t0;
        budget.record(outcome.handled, ms);
        chunks++;
        if (ms > longestMs) longestMs = ms;
        op = after;
        if (outcome.finished) break;
        await betweenChunks();
      }
      const finishedAt = clock();
      const ended = await store.operations.finish(id, owner, finishedAt, (trx, current) =>
        kind.finish(trx, current, finishedAt),
      );
      logger.info(
        {
          operation: id,
          kind: ended.kind,
          target: ended.target,
          images: ended.total,
          chunks,
          longestChunkMs: Math.round(longestMs * 10) / 10,
          ms: Date.now() - started,
        },
        'operation succeeded',
      );
      await dropItems(id);
      if (kind.afterFinish) {
        await kind
          .afterFinish(ended)
          .catch((err: unknown) =>
            logger.error({ err, operation: id }, 'cleaning up after an operation failed'),
          );
      }
      return ended;
    } catch (err) {
      if (err instanceof LeaseLostError) {
        logger.warn({ operation: id }, 'another process took this operation over');
        return null;
      }
      const error =
        err instanceof BerthError
          ? { code: err.code, message: err.message }
          : { code: 'OPERATION_FAILED', message: `the operation stopped: ${String(err)}` };
      if (kind.mustFinish || (err instanceof StorageFullError && !foreground)) {
        // Failing here would leave the chunks already committed: half a repository in the
        // trash. A full disk passes; the operation waits for it, as it would after a crash.
        logger.warn({ err, operation: id, kind: op.kind }, 'operation paused');
        try {
          await store.operations.release(id, owner, error);
          return await store.operations.get(id);
        } catch (releaseErr) {
          // Releasing writes too; the lease lapses instead and a later tick takes it over.
          logger.error({ err: releaseErr, operation: id }, 'pausing the operation failed');
          return null;
        }
      }
      logger.error({ err, operation: id, kind: op.kind }, 'operation failed');
      if (kind.undo) {
        let undoing: OperationRecord;
        try {
          undoing = await store.operations.beginUndo(id, owner, error, clock(), settings.leaseMs);
        } catch (undoErr) {
          // Not recorded: the lease lapses and a process takes the operation over as a crash
          // would leave it (its committed chunks, no undo yet).
          if (!(undoErr instanceof LeaseLostError)) {
            logger.error({ err: undoErr, operation: id }, 'starting the undo failed');
          }
          // A waiting request still hears why (507 for a full disk); its one chunk rolled back.
          if (foreground) throw err;
          return null;
        }
        return undoToEnd(undoing, kind, foreground ? err : null);
      }
      let ended: OperationRecord | null = null;
      try {
        const failedAt = clock();
        ended = await store.operations.fail(id, owner, error, failedAt, (trx, current) =>
          kind.failed ? kind.failed(trx, current, error, failedAt) : Promise.resolve(),
        );
        await dropItems(id);
      } catch (failErr) {
        // The claim lapses and a process takes it over (or this one at its next start).
        logger.error({ err: failErr, operation: id }, 'recording the failure failed');
      }
      // The request waiting for a one-chunk operation answers with the error itself (507 for
      // a full disk), not a generic failure; that chunk rolled back, so nothing was done.
      if (foreground) throw err;
      return ended;
    }
  }

  /**
   * Undoes a failed operation chunk by chunk, then ends it as failed with the error that
   * stopped it. A request waiting for it (`rethrow`) gets that error once it is undone.
   */
  async function undoToEnd(
    op: OperationRecord,
    kind: OperationKindRunner,
    rethrow: unknown,
  ): Promise<OperationRecord | null> {
    const id = op.id;
    const undo = kind.undo;
    if (!op.undo || !undo) {
      logger.error({ operation: id, kind: op.kind }, 'this kind of operation cannot be undone');
      return null;
    }
    const error = op.undo.error;
    // Restores give the event loop turns within their chunk, as restore operations do.
    const budget = createChunkBudget(settings.chunkImages, settings.chunkTargetMs * 2);
    let current = { ...op, undo: op.undo };
    try {
      while (current.undo.below > 1) {
        if (stopping) {
          await store.operations.release(id, owner);
          return null;
        }
        const t0 = performance.now();
        const now = clock();
        const before = current.undo.below;
        current = await store.operations.runUndoChunk(id, owner, now, settings.leaseMs, (trx, o) =>
          undo(trx, o, budget.images, now),
        );
        budget.record(before - current.undo.below, performance.now() - t0);
        await betweenChunks();
      }
      const failedAt = clock();
      const ended = await store.operations.fail(id, owner, error, failedAt, (trx, o) =>
        kind.failed ? kind.failed(trx, o, error, failedAt) : Promise.resolve(),
      );
      logger.warn(
        { operation: id, kind: op.kind, restored: current.undo.restored },
        'failed operation undone',
      );
      await dropItems(id);
      if (rethrow) throw rethrow;
      return ended;
    } catch (err) {
      if (err === rethrow) throw err;
      if (err instanceof LeaseLostError) {
        logger.warn({ operation: id }, 'another process took this operation over');
        return null;
      }
      // Half an undo is as bad as half a delete: it waits and is tried again, as a
      // namespace delete is.
      logger.warn({ err, operation: id, kind: op.kind }, 'undoing the operation paused');
      const waiting =
        err instanceof BerthError
          ? { code: err.code, message: err.message }
          : {
              code: 'UNDO_FAILED',
              message: `undoing the failed operation stopped: ${String(err)}`,
            };
      try {
        await store.operations.release(id, owner, waiting);
        return await store.operations.get(id);
      } catch (releaseErr) {
        logger.error({ err: releaseErr, operation: id }, 'pausing the undo failed');
        return null;
      }
    }
  }

  /** An ended operation's set goes in pieces; one left over is dropped by the next `resume`. */
  async function dropItems(id: number): Promise<void> {
    await store.operations
      .dropItems(id)
      .catch((err: unknown) =>
        logger.error({ err, operation: id }, 'dropping the set of an ended operation failed'),
      );
  }

  let sweeping = false;

  const runner = {
    owner,
    settings,

    /** Registers how operations of `kind` are worked (once, at service creation). */
    register(kind: string, kindRunner: OperationKindRunner): void {
      kinds.set(kind, kindRunner);
    },

    /**
     * Works the operation until it ends or must wait, unless another process holds it;
     * resolves with the operation as it then is (null when it was not ours or the runner
     * stopped). In the background a full disk pauses it (running, with `error` saying why)
     * until a later `resume`. `foreground`: a request waits for it (a set that fits in one
     * chunk), so a failure rejects with the error that stopped it. Starting it twice in this
     * process joins the first run.
     */
    run(
      id: number,
      { foreground = false }: { foreground?: boolean } = {},
    ): Promise<OperationRecord | null> {
      const existing = running.get(id);
      if (existing) return existing;
      const p = work(id, foreground).finally(() => running.delete(id));
      running.set(id, p);
      return p;
    },

    /** Takes over every running operation nobody holds (at start-up and on each scheduler tick). */
    async resume(): Promise<void> {
      if (stopping) return;
      if (!sweeping) {
        sweeping = true;
        void store.operations
          .endedWithItems()
          .then(async (ids) => {
            for (const id of ids) if (!stopping) await dropItems(id);
          })
          .catch((err: unknown) => logger.error({ err }, 'finding sets of ended operations failed'))
          .finally(() => {
            sweeping = false;
          });
      }
      for (const id of await store.operations.lapsed(clock())) {
        if (!running.has(id)) {
          void runner
            .run(id)
            .catch((err: unknown) =>
              logger.error({ err, operation: id }, 'resuming an operation failed'),
            );
        }
      }
    },

    /** Stops after the chunk in progress and lets go of the claims (close of the server). */
    async stop(): Promise<void> {
      stopping = true;
      await Promise.allSettled([...running.values()]);
    },
  };
  return runner;
}

export type OperationRunner = ReturnType<typeof createOperationRunner>;
