import {
  RESTORE_RESULT_LISTED,
  type RestoreBody,
  type RestoreManyBody,
  type RestoreManyResult,
  type RestoreResult,
  type TrashList,
  type TrashRepositories,
} from '@berth/contract';
import { addToRestoreTally, emptyRestoreTally, startTrashRestore } from '@berth/store';
import type { OperationRunner } from './operations/operation-runner.js';
import type { OperationsService, Outcome } from './operations/operations-service.js';
import type { ServiceDeps } from './deps.js';
import { iso } from './iso.js';
import { removeMarkedBlobs } from './blob-cleanup.js';
import {
  requireDigest,
  requireNamespaceName,
  requireRepositoryName,
  requireTag,
} from './name-checks.js';

export function createTrashService(
  { store, blobs, clock, logger, registry }: ServiceDeps,
  operations: OperationsService,
  runner: OperationRunner,
) {
  return {
    async list(
      namespace: string,
      query: {
        repository?: string;
        retentionRun?: string;
        q?: string;
        cursor?: string;
        limit: number;
      },
    ): Promise<TrashList> {
      requireNamespaceName(namespace);
      if (query.repository !== undefined) requireRepositoryName(namespace, query.repository);
      const page = await store.trash.list(namespace, query, clock());
      return {
        items: page.items.map((t) => ({
          ...t,
          reason: t.reason as TrashList['items'][number]['reason'],
          deletedAt: iso(t.deletedAt),
          expiresAt: iso(t.expiresAt),
        })),
        nextCursor: page.nextCursor,
      };
    },

    /** The trash filter's suggestions: repositories with images in the trash, by part of their name. */
    async repositories(
      namespace: string,
      query: { q?: string; limit: number },
    ): Promise<TrashRepositories> {
      requireNamespaceName(namespace);
      const items = await store.trash.repositoriesInTrash(
        namespace,
        query.q ?? '',
        query.limit,
        clock(),
      );
      return { items };
    },

    async restore(namespace: string, body: RestoreBody, actor: string): Promise<RestoreResult> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, body.repository);
      if ('digest' in body) requireDigest(body.digest);
      else requireTag(body.tag);
      return store.trash.restore(namespace, body, { actor, now: clock() });
    },

    /**
     * Everything of a repository still in the trash; a set larger than one chunk is restored
     * as an operation (202) in chunks that commit on their own.
     */
    async restoreRepository(
      namespace: string,
      repository: string,
      actor: string,
    ): Promise<Outcome<RestoreManyResult>> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      const { id } = await startTrashRestore(
        store.db,
        namespace,
        { repository },
        { actor, now: clock() },
        { owner: runner.owner, leaseMs: runner.settings.leaseMs },
      );
      return operations.settle<RestoreManyResult>(id);
    },

    /** The selected images, all restored in one transaction or none (at most 1000). */
    async restoreMany(
      namespace: string,
      body: RestoreManyBody,
      actor: string,
    ): Promise<RestoreManyResult> {
      requireNamespaceName(namespace);
      for (const item of body.items) {
        requireRepositoryName(namespace, item.repository);
        requireDigest(item.digest);
      }
      const restored = await store.trash.restoreMany(namespace, body.items, {
        actor,
        now: clock(),
      });
      return addToRestoreTally(emptyRestoreTally(), restored, RESTORE_RESULT_LISTED);
    },

    /** Permanently deletes expired trash in batches and removes the blobs it frees. */
    async sweep(): Promise<{ purged: number; reclaimed: number }> {
      let purged = 0;
      let reclaimed = 0;
      for (;;) {
        const now = clock();
        const batch = await store.trash.purgeExpired(now, {
          linkCutoff: now - registry.gcGraceMs,
        });
        if (batch.purged === 0) break;
        await removeMarkedBlobs({ store, blobs, logger }, batch.reclaimed);
        purged += batch.purged;
        reclaimed += batch.reclaimed.length;
      }
      if (purged > 0) logger.info({ purged, reclaimed }, 'trash sweep');
      return { purged, reclaimed };
    },
  };
}
