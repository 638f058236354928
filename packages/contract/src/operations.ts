import { z } from 'zod';
import { cursorParam, isoDate, limitParam, page } from './common.js';

/**
 * Bulk work (a repository or namespace delete, a retention confirm, a restore of many images)
 * runs as a recorded operation: in chunks that each commit on their own, so pulls, pushes and
 * console pages never wait for it, and that a crash resumes at start-up. A request whose set
 * fits in one chunk is answered with its result as before (200/201); a larger one is answered
 * 202 Accepted with the operation (and `Location: /api/v1/operations/<id>`), which the console
 * follows with a progress bar until it ends.
 */
export const operationKind = z.enum([
  'repository.delete',
  'image.delete',
  'namespace.delete',
  'retention.confirm',
  'retention.run.restore',
  'trash.restore',
]);
export type OperationKind = z.infer<typeof operationKind>;

export const operationState = z.enum(['running', 'succeeded', 'failed']);
export type OperationState = z.infer<typeof operationState>;

export const operation = z.object({
  id: z.string(),
  kind: operationKind,
  namespace: z.string(),
  /** What it works on, in words: "demo-shop/payments", "retention run 12". */
  target: z.string(),
  state: operationState,
  /** Images handled so far and in all; done === total once it has succeeded. */
  done: z.number().int(),
  total: z.number().int(),
  actor: z.string(),
  startedAt: isoDate,
  updatedAt: isoDate,
  finishedAt: isoDate.nullable(),
  /**
   * Once succeeded: the body the endpoint answers when the work fits in one chunk
   * (repositoriesTrashed, retentionRunResult, namespaceDeleted, retentionRunRestored,
   * restoreManyResult), so a client reads one shape either way.
   */
  result: z.unknown().nullable(),
  /** Once failed: why, in words. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /**
   * While running: why it is paused, if it is (the storage is full). It goes on by itself,
   * from the last committed chunk, once the cause is gone: the server tries again on every
   * scheduler tick (BERTH_SCHEDULER_INTERVAL_MS).
   */
  waiting: z.object({ code: z.string(), message: z.string() }).nullable(),
  /**
   * A repository delete or retention confirm that fails is undone before it ends as failed:
   * what it had moved to the trash is restored (its tags by the usual restore rules). Null
   * unless it is being or was undone; while it is (still running), the counts so far: images
   * put back, and tags they could not get back because another image holds them now.
   */
  rolledBack: z.object({ images: z.number().int(), skippedTags: z.number().int() }).nullable(),
});
export type Operation = z.infer<typeof operation>;

/** 202 body of an endpoint whose work became an operation. */
export const operationAccepted = z.object({ operation });
export type OperationAccepted = z.infer<typeof operationAccepted>;

export const operationListQuery = z.object({
  namespace: z.string().max(64).optional(),
  state: operationState.optional(),
  cursor: cursorParam,
  limit: limitParam,
});
export type OperationListQuery = z.input<typeof operationListQuery>;
export const operationList = page(operation);
export type OperationList = z.infer<typeof operationList>;
