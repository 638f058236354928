import { NotFoundError, type Principal, actorName, isAdmin } from '@berth/domain';
import type { Operation, OperationList, OperationListQuery } from '@berth/contract';
import type { OperationRecord } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import type { AccessService } from '../identity/access-service.js';
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
    error: op.state === 'failed' ? op.error : null,
    waiting: op.state === 'running' ? op.error : null,
    rolledBack: op.undo ? { images: op.undo.restored, skippedTags: op.undo.skippedTags } : null,
  };
}

const unknown = (id: string) =>
  new NotFoundError('OPERATION_UNKNOWN', `operation ${id} does not exist`);

export function createOperationsService(
  { store, logger }: ServiceDeps,
  access: AccessService,
  runner: OperationRunner,
) {
  /** Admins see all; others their own and those of namespaces they may read (while they exist). */
  async function visible(p: Principal, op: OperationRecord): Promise<boolean> {
    if (isAdmin(p, 'read') || op.actor === actorName(p)) return true;
    if (op.namespaceId === null) return false;
    try {
      const ns = await access.requireNamespace(p, op.namespace, 'read');
      return ns.id === op.namespaceId;
    } catch {
      return false;
    }
  }

  return {
    /**
     * Works a just-created operation: to its end here when its set fits in one chunk (the
     * endpoint answers its result as before), otherwise in the background (202).
     */
    async settle<T>(id: number): Promise<Outcome<T>> {
      const op = await store.operations.require(id);
      if (op.total > runner.settings.chunkImages) {
        // Its failures are recorded on the operation; one that cannot even be recorded is
        // logged, and the lease lets a process take it over.
        void runner
          .run(id)
          .catch((err: unknown) => logger.error({ err, operation: id }, 'operation stopped'));
        return { kind: 'accepted', operation: toOperation(op) };
      }
      const ended = await runner.run(id, { foreground: true });
      if (ended?.state === 'succeeded') return { kind: 'done', body: ended.result as T };
      // Paused (work that must get to the end, e.g. a namespace delete on a full disk): it
      // goes on by itself, and the caller follows it like any other.
      if (ended?.state === 'running') return { kind: 'accepted', operation: toOperation(ended) };
      throw new Error(
        `operation ${id} did not succeed: ${ended?.error?.message ?? 'another process holds it'}`,
      );
    },

    async get(id: string, p: Principal): Promise<Operation> {
      const n = /^[0-9]{1,15}$/.test(id) ? Number(id) : null;
      const op = n === null ? null : await store.operations.get(n);
      if (!op || !(await visible(p, op))) throw unknown(id);
      return toOperation(op);
    },

    async list(
      query: OperationListQuery & { limit: number },
      p: Principal,
    ): Promise<OperationList> {
      let visibility = null;
      if (!isAdmin(p, 'read')) {
        const listing = await access.namespaceListing(p);
        visibility = {
          actor: actorName(p),
          namespaces: listing.visibility ?? { userId: null, names: null },
        };
      }
      const page = await store.operations.list({ ...query, visibility });
      return { items: page.items.map(toOperation), nextCursor: page.nextCursor };
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
