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
import { startNamespaceDelete } from '@berth/store';
import type { OperationRunner } from './operations/operation-runner.js';
import type { OperationsService, Outcome } from './operations/operations-service.js';
import { requireNamespaceName } from './name-checks.js';

/** The contract shape is the store record with ISO dates, plus what the caller may do there. */
function summary({ createdAt, ...rest }: NamespaceRecord, role: NamespaceRole): NamespaceSummary {
  return { ...rest, createdAt: iso(createdAt), role };
}

export function createNamespacesService(
  { store, clock, regions, projects }: ServiceDeps,
  access: AccessService,
  operations: OperationsService,
  runner: OperationRunner,
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

    /**
     * Hides the namespace at once, then deletes what it holds in chunks (an operation): the
     * deletion body when it all fits in one chunk, the operation otherwise.
     */
    async delete(name: string, actor: string): Promise<Outcome<NamespaceDeleted>> {
      const id = await startNamespaceDelete(
        store.db,
        requireNamespaceName(name),
        { actor, now: clock() },
        { owner: runner.owner, leaseMs: runner.settings.leaseMs },
      );
      return operations.settle<NamespaceDeleted>(id);
    },
  };
}
