import type { Operation } from '@berth/contract';
import type { OperationRecord, Store } from '@berth/store';
import { iso, isoOrNull } from '../iso.js';
import type { OperationRunner } from './operation-runner.js';

/** What an endpoint whose work may become an operation answers: its body, or the operation. */
export type Outcome<T> = { kind: 'done'; body: T } | { kind: 'accepted'; operation: Operation };

export function toOperation(op: OperationRecord): Operation {
  return {
    id: String(op.id),
    kind: op.kind as Operation['kind'],
    namespace: op.namespace,
    target: op.target,
    state: op.state,
    done: op.done,
    total: op.total,
    actor: op.actor,
    startedAt: iso(op.startedAt),
    updatedAt: iso(op.updatedAt),
    finishedAt: isoOrNull(op.finishedAt),
    result: op.result ?? null,
    error: op.error,
  };
}

/**
 * Works a just-created operation: to its end within the request when its set fits in one
 * chunk (the endpoint answers the result as before), otherwise in the background (202).
 */
export async function settleOperation<T>(
  store: Store,
  runner: OperationRunner,
  id: number,
): Promise<Outcome<T>> {
  const op = await store.operations.get(id);
  if (!op) throw new Error(`operation ${id} vanished as it started`);
  if (op.total > runner.settings.chunkImages) {
    void runner.run(id);
    return { kind: 'accepted', operation: toOperation(op) };
  }
  const ended = await runner.run(id);
  if (ended?.state === 'succeeded') return { kind: 'done', body: ended.result as T };
  throw new Error(
    `operation ${id} did not succeed: ${ended?.error?.message ?? 'another process holds it'}`,
  );
}
