import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import type { ImagePointerSource } from './image-pointers.js';
import { singleFlight } from '../single-flight.js';
import type { OperationRunner } from '../operations/operation-runner.js';

/** Stored previews stay readable this long after they can no longer be confirmed. */
const PREVIEW_KEEP_MS = 24 * 60 * 60 * 1000;

/**
 * Runs scheduled retention policies. Every server process ticks; the store makes each daily
 * slot claimable once (see claimDueRuns), so a slot runs exactly once however many processes
 * share the database, and a run whose process died is picked up by another after its lease.
 */
export function createRetentionScheduler(
  { store, clock, logger }: ServiceDeps,
  pointers: ImagePointerSource,
  runner: OperationRunner,
) {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  async function tick(): Promise<number> {
    await store.retention.purgePreviews(clock() - PREVIEW_KEEP_MS);
    const claimed = await store.retention.claimDueRuns(clock(), owner);
    let ran = 0;
    for (const runId of claimed) {
      try {
        const operationId = await store.retention.executeScheduledRun(
          runId,
          owner,
          (namespace) => pointers.forNamespace(namespace),
          clock,
          { owner: runner.owner, leaseMs: runner.settings.leaseMs },
        );
        // From here the operation owns the run: it ends it, and a crash resumes it.
        const ended = operationId === null ? null : await runner.run(operationId);
        if (ended?.state === 'succeeded') {
          ran++;
          logger.info(
            { runId, namespace: ended.namespace, images: ended.total },
            'scheduled retention run',
          );
        }
      } catch (err) {
        logger.error({ err, runId }, 'scheduled retention run failed');
        await store.retention
          .failRun(runId, owner, err instanceof Error ? err.message : String(err), clock())
          .catch((e: unknown) =>
            logger.error({ err: e, runId }, 'could not record the failed run'),
          );
      }
    }
    return ran;
  }

  const flight = singleFlight(tick);
  return {
    owner,
    /** One tick at a time per process; a caller during a tick shares it. */
    tick: flight.run,
    settled: flight.settled,
  };
}
