import type {
  DeleteImagesBody,
  ImageList,
  ImagesTrashed,
  RepositoriesTrashed,
  RepositoryList,
  RepositorySort,
  ImageSort,
  Untagged,
} from '@berth/contract';
import { startRepositoryDelete } from '@berth/store';
import type { ServiceDeps } from './deps.js';
import type { OperationRunner } from './operations/operation-runner.js';
import type { OperationsService, Outcome } from './operations/operations-service.js';
import { iso, isoOrNull } from './iso.js';
import {
  requireDigest,
  requireNamespaceName,
  requireRepositoryName,
  requireTag,
} from './name-checks.js';

export interface PageQuery {
  q?: string;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

export function createImagesService(
  { store, clock, projects }: ServiceDeps,
  operations: OperationsService,
  runner: OperationRunner,
) {
  return {
    async listRepositories(
      namespace: string,
      query: PageQuery & { sort: RepositorySort },
    ): Promise<RepositoryList> {
      const page = await store.repositories.list(requireNamespaceName(namespace), query);
      return {
        items: page.items.map((r) => ({ ...r, lastPushedAt: isoOrNull(r.lastPushedAt) })),
        nextCursor: page.nextCursor,
      };
    },

    async deleteRepositories(
      namespace: string,
      repositories: string[],
      actor: string,
    ): Promise<Outcome<RepositoriesTrashed>> {
      requireNamespaceName(namespace);
      for (const r of repositories) requireRepositoryName(namespace, r);
      // The images are fixed now; they go to the trash in chunks, so nothing waits for them.
      const id = await startRepositoryDelete(
        store.db,
        namespace,
        repositories,
        { actor, now: clock() },
        { owner: runner.owner, leaseMs: runner.settings.leaseMs },
      );
      return operations.settle<RepositoriesTrashed>(id);
    },

    async listImages(
      namespace: string,
      repository: string,
      query: PageQuery & { sort: ImageSort; tagged?: 'true' | 'false' },
    ): Promise<ImageList> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      const page = await store.images.list(namespace, repository, {
        ...query,
        tagged: query.tagged === undefined ? undefined : query.tagged === 'true',
      });
      const uses = await store.imageUses.ofImages(
        namespace,
        repository,
        page.items,
        projects.registryHosts,
      );
      return {
        items: page.items.map((i) => ({
          ...i,
          createdAt: isoOrNull(i.createdAt),
          pushedAt: iso(i.pushedAt),
          usedBy: uses.get(i.digest) ?? [],
          vulnerabilities: i.vulnerabilities
            ? { ...i.vulnerabilities, scannedAt: iso(i.vulnerabilities.scannedAt) }
            : null,
        })),
        nextCursor: page.nextCursor,
      };
    },

    async deleteImages(
      namespace: string,
      body: DeleteImagesBody,
      actor: string,
    ): Promise<ImagesTrashed> {
      requireNamespaceName(namespace);
      for (const image of body.images) {
        requireRepositoryName(namespace, image.repository);
        requireDigest(image.digest);
      }
      const trashed = await store.images.trash(namespace, body.images, 'deleted', {
        actor,
        now: clock(),
      });
      return { trashed };
    },

    async untag(
      namespace: string,
      repository: string,
      tag: string,
      actor: string,
    ): Promise<Untagged> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      requireTag(tag);
      return store.images.untag(namespace, repository, tag, { actor, now: clock() });
    },
  };
}
