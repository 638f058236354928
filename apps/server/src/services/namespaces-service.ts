import type {
  CreateNamespaceBody,
  NamespaceDeleted,
  NamespaceDeletionPreview,
  NamespaceList,
  NamespaceSummary,
  RegionList,
  UpdateNamespaceBody,
} from '@berth/contract';
import type { z } from 'zod';
import type { namespaceListQuery } from '@berth/contract';

type NamespaceListQuery = z.output<typeof namespaceListQuery>;
import type { NamespaceRecord } from '@berth/store';
import type { NamespaceRole, Principal } from '@berth/domain';
import type { AccessService, NamespaceAccess } from './identity/access-service.js';
import type { ServiceDeps } from './deps.js';
import { iso } from './iso.js';
import { removeMarkedBlobs } from './blob-cleanup.js';
import { requireNamespaceName } from './name-checks.js';

/**
 * The contract shape is the store record with ISO dates and without the trash size, plus
 * what the caller may do there.
 */
function summary(
  { trashSizeBytes: _trashSize, createdAt, ...rest }: NamespaceRecord,
  role: NamespaceRole,
): NamespaceSummary {
  return { ...rest, createdAt: iso(createdAt), role };
}

export function createNamespacesService(
  { store, blobs, clock, logger, regions, projects }: ServiceDeps,
  access: AccessService,
) {
  return {
    /** Regions, counting only the namespaces the caller can see. */
    async regions(p: Principal): Promise<RegionList> {
      const { visibility } = await access.namespaceListing(p);
      const items = await store.namespaces.listRegions(visibility);
      return {
        items,
        defaultRegion: regions[0] ?? 'local',
        registryHost: projects.registryHosts[0] ?? 'localhost',
      };
    },

    async list(query: NamespaceListQuery, p: Principal): Promise<NamespaceList> {
      const { visibility, roleOf } = await access.namespaceListing(p);
      const page = await store.namespaces.list({ ...query, visibility });
      return {
        items: page.items.map((ns) => summary(ns, roleOf(ns))),
        nextCursor: page.nextCursor,
      };
    },

    async get(ns: NamespaceAccess): Promise<NamespaceSummary> {
      return summary(await store.namespaces.get(ns.name), ns.role);
    },

    /** Only admins create namespaces, so the creator manages it. */
    async create(body: CreateNamespaceBody, actor: string): Promise<NamespaceSummary> {
      requireNamespaceName(body.name);
      const created = await store.namespaces.create(
        {
          name: body.name,
          region: body.region,
          quotaBytes: body.quotaBytes ?? null,
          public: body.public ?? false,
        },
        { actor, now: clock() },
      );
      return summary(created, 'manager');
    },

    async update(
      ns: NamespaceAccess,
      body: UpdateNamespaceBody,
      actor: string,
    ): Promise<NamespaceSummary> {
      const updated = await store.namespaces.update(ns.name, body, { actor, now: clock() });
      return summary(updated, ns.role);
    },

    async deletionPreview(name: string): Promise<NamespaceDeletionPreview> {
      return store.namespaces.deletionPreview(requireNamespaceName(name));
    },

    async delete(name: string, actor: string): Promise<NamespaceDeleted> {
      const now = clock();
      const { summary: removed, reclaimed } = await store.namespaces.delete(
        requireNamespaceName(name),
        { actor, now },
      );
      await removeMarkedBlobs({ store, blobs, logger }, reclaimed);
      logger.info({ namespace: name, blobs: reclaimed.length }, 'namespace deleted');
      return { ...removed, deletedAt: iso(now) };
    },
  };
}
