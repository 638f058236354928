import type {
  CreateNamespaceBody,
  NamespaceDeleted,
  NamespaceDeletionPreview,
  NamespaceList,
  NamespaceSummary,
  RegionList,
} from '@berth/contract';
import type { NamespaceRecord, Store } from '@berth/store';
import type { ServiceDeps } from './deps.js';
import { iso } from './iso.js';
import { removeMarkedBlobs } from './blob-cleanup.js';
import { requireNamespaceName } from './name-checks.js';

/** The contract shape is the store record with ISO dates and without the trash size. */
function summary({
  trashSizeBytes: _trashSize,
  createdAt,
  ...rest
}: NamespaceRecord): NamespaceSummary {
  return { ...rest, createdAt: iso(createdAt) };
}

export function createNamespacesService({
  store,
  blobs,
  clock,
  logger,
  regions,
  projects,
}: ServiceDeps) {
  return {
    async regions(): Promise<RegionList> {
      const items = await store.namespaces.listRegions();
      return {
        items,
        defaultRegion: regions[0] ?? 'local',
        registryHost: projects.registryHosts[0] ?? 'localhost',
      };
    },

    async list(query: Parameters<Store['namespaces']['list']>[0]): Promise<NamespaceList> {
      const page = await store.namespaces.list(query);
      return { items: page.items.map(summary), nextCursor: page.nextCursor };
    },

    async get(name: string): Promise<NamespaceSummary> {
      return summary(await store.namespaces.get(requireNamespaceName(name)));
    },

    async create(body: CreateNamespaceBody, actor: string): Promise<NamespaceSummary> {
      requireNamespaceName(body.name);
      const created = await store.namespaces.create(
        { name: body.name, region: body.region, quotaBytes: body.quotaBytes ?? null },
        { actor, now: clock() },
      );
      return summary(created);
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
