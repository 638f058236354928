import { ConflictError, InputError } from '@berth/domain';
import type { Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { reclaimUnreferencedBlobs } from './blob-reclaim.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { resolveNamespace } from './resolve.js';
import { containsText } from './like.js';

export interface NamespaceRecord {
  name: string;
  region: string;
  repositoryCount: number;
  imageCount: number;
  sizeBytes: number;
  trashCount: number;
  trashSizeBytes: number;
  quotaBytes: number | null;
  createdAt: number;
}

export interface NamespaceDeletionSummary {
  namespace: string;
  repositories: number;
  images: number;
  trashItems: number;
  sizeBytes: number;
  trashSizeBytes: number;
}

type NamespaceRow = {
  name: string;
  region: string;
  repository_count: number;
  image_count: number;
  size_bytes: number;
  trash_count: number;
  trash_size_bytes: number;
  quota_bytes: number | null;
  created_at: number;
};

function toRecord(r: NamespaceRow): NamespaceRecord {
  return {
    name: r.name,
    region: r.region,
    repositoryCount: r.repository_count,
    imageCount: r.image_count,
    sizeBytes: r.size_bytes,
    trashCount: r.trash_count,
    trashSizeBytes: r.trash_size_bytes,
    quotaBytes: r.quota_bytes,
    createdAt: r.created_at,
  };
}

function deletionSummary(r: NamespaceRow): NamespaceDeletionSummary {
  return {
    namespace: r.name,
    repositories: r.repository_count,
    images: r.image_count,
    trashItems: r.trash_count,
    sizeBytes: r.size_bytes,
    trashSizeBytes: r.trash_size_bytes,
  };
}

export function createNamespacesStore(db: Db) {
  return {
    /** Makes the configured regions exist; regions are configuration, not user data. */
    async ensureRegions(names: readonly string[], now: number): Promise<void> {
      for (const name of names) {
        await db
          .insertInto('regions')
          .values({ name, created_at: now })
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
      }
    },

    async listRegions(): Promise<{ name: string; namespaceCount: number }[]> {
      const rows = await db
        .selectFrom('regions')
        .leftJoin('namespaces', 'namespaces.region', 'regions.name')
        .select(['regions.name', (eb) => eb.fn.count<number>('namespaces.id').as('n')])
        .groupBy('regions.name')
        .orderBy('regions.name')
        .execute();
      return rows.map((r) => ({ name: r.name, namespaceCount: Number(r.n) }));
    },

    async list(query: { region?: string; q?: string; cursor?: string; limit: number }) {
      const after = decodeCursor(query.cursor, ['string', 'string']);
      let qb = db
        .selectFrom('namespaces')
        .selectAll()
        .orderBy('name')
        .limit(query.limit + 1);
      if (query.region) qb = qb.where('region', '=', query.region);
      if (query.q) qb = qb.where(containsText('name', query.q));
      if (after) qb = qb.where('name', '>', String(after[0]));
      const rows = await qb.execute();
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toRecord),
        nextCursor: rows.length > query.limit && last ? encodeCursor([last.name, last.name]) : null,
      };
    },

    async get(name: string): Promise<NamespaceRecord> {
      return toRecord(await resolveNamespace(db, name));
    },

    async create(
      input: { name: string; region: string; quotaBytes: number | null },
      ctx: ActionContext,
    ) {
      return db.transaction().execute(async (trx) => {
        const region = await trx
          .selectFrom('regions')
          .select('name')
          .where('name', '=', input.region)
          .executeTakeFirst();
        if (!region) {
          throw new InputError(
            'REGION_UNKNOWN',
            `region "${input.region}" is not configured on this deployment`,
          );
        }
        const existing = await trx
          .selectFrom('namespaces')
          .select('region')
          .where('name', '=', input.name)
          .executeTakeFirst();
        if (existing) {
          throw new ConflictError(
            'NAMESPACE_EXISTS',
            `namespace "${input.name}" already exists (in region ${existing.region}); namespace names are unique across regions`,
          );
        }
        await trx
          .insertInto('namespaces')
          .values({
            name: input.name,
            region: input.region,
            quota_bytes: input.quotaBytes,
            created_at: ctx.now,
          })
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'namespace.create',
          target: input.name,
          outcome: 'success',
          details: { region: input.region },
        });
        return toRecord(await resolveNamespace(trx, input.name));
      });
    },

    async deletionPreview(name: string): Promise<NamespaceDeletionSummary> {
      return deletionSummary(await resolveNamespace(db, name));
    },

    /**
     * Irreversible: the namespace, its repositories, images, trash and referrers go in one
     * transaction. Returns the blob digests nothing references any more.
     */
    async delete(name: string, ctx: ActionContext) {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, name);
        const summary = deletionSummary(ns);
        const inNamespace = trx
          .selectFrom('manifests')
          .innerJoin('repositories', 'repositories.id', 'manifests.repository_id')
          .where('repositories.namespace_id', '=', ns.id);
        const linked = await inNamespace
          .innerJoin('manifest_blobs', 'manifest_blobs.manifest_id', 'manifests.id')
          .select('manifest_blobs.blob_digest as digest')
          .distinct()
          .execute();
        const uploaded = await trx
          .selectFrom('repository_blobs')
          .innerJoin('repositories', 'repositories.id', 'repository_blobs.repository_id')
          .select('repository_blobs.digest')
          .where('repositories.namespace_id', '=', ns.id)
          .execute();
        await trx.deleteFrom('namespaces').where('id', '=', ns.id).execute();
        // The namespace's links went with its repositories, so no grace applies to them.
        const reclaimed = await reclaimUnreferencedBlobs(
          trx,
          [...linked, ...uploaded].map((r) => r.digest),
          ctx.now,
        );
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'namespace.delete',
          target: name,
          outcome: 'success',
          details: { ...summary, blobsReclaimed: reclaimed.length },
        });
        return { summary, reclaimed };
      });
    },
  };
}
