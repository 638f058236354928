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
import type { ServiceDeps } from './deps.js';
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

export function createImagesService({ store, clock, projects }: ServiceDeps) {
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
    ): Promise<RepositoriesTrashed> {
      requireNamespaceName(namespace);
      for (const r of repositories) requireRepositoryName(namespace, r);
      return store.images.trashRepositories(namespace, repositories, { actor, now: clock() });
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
