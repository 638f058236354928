import { ConflictError, InputError } from '@berth/domain';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database, Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { resolveNamespace } from './resolve.js';
import { containsText } from './like.js';
import { engineOf } from './store-handle.js';

export interface NamespaceRecord {
  name: string;
  region: string;
  repositoryCount: number;
  imageCount: number;
  sizeBytes: number;
  trashCount: number;
  trashSizeBytes: number;
  quotaBytes: number | null;
  public: boolean;
  createdAt: number;
}

/**
 * Which namespaces a caller sees: public ones, plus those where `userId` is a member (every
 * one when null: an admin), narrowed to `names` when an API key lists namespaces.
 */
export interface NamespaceVisibility {
  userId: string | null;
  names: string[] | null;
}

export interface NamespaceChanges {
  quotaBytes?: number | null;
  public?: boolean;
}

/** Namespaces a visibility lets through: public ones, and those of its member or key. */
export function visibleTo(v: NamespaceVisibility) {
  return (eb: ExpressionBuilder<Database, 'namespaces'>) => {
    const reach: Expression<SqlBool>[] = [];
    if (v.userId !== null) {
      reach.push(
        eb(
          'namespaces.id',
          'in',
          eb.selectFrom('namespace_members').select('namespace_id').where('user_id', '=', v.userId),
        ),
      );
    }
    if (v.names !== null) {
      reach.push(v.names.length ? eb('namespaces.name', 'in', v.names) : eb.lit(false));
    }
    return eb.or([eb('namespaces.public', '=', 1), eb.and(reach)]);
  };
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
  public: number;
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
    public: r.public === 1,
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

    /** Regions with how many namespaces in each the caller can see. */
    async listRegions(
      visibility?: NamespaceVisibility,
    ): Promise<{ name: string; namespaceCount: number }[]> {
      const regions = await db.selectFrom('regions').select('name').orderBy('name').execute();
      let counts = db
        .selectFrom('namespaces')
        .select(['region', (eb) => eb.fn.countAll<number>().as('n')])
        .where('deleting', '=', 0)
        .groupBy('region');
      if (visibility) counts = counts.where(visibleTo(visibility));
      const byRegion = new Map((await counts.execute()).map((r) => [r.region, Number(r.n)]));
      return regions.map((r) => ({ name: r.name, namespaceCount: byRegion.get(r.name) ?? 0 }));
    },

    async list(query: {
      region?: string;
      q?: string;
      cursor?: string;
      limit: number;
      visibility?: NamespaceVisibility;
    }) {
      const after = decodeCursor(query.cursor, ['string', 'string']);
      let qb = db
        .selectFrom('namespaces')
        .selectAll()
        .where('deleting', '=', 0)
        .orderBy('name')
        .limit(query.limit + 1);
      if (query.region) qb = qb.where('region', '=', query.region);
      if (query.visibility) qb = qb.where(visibleTo(query.visibility));
      if (query.q) qb = qb.where(containsText('name', query.q, engineOf(db)));
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

    /**
     * Id, name and public flag for access checks, with the role `userId` holds there (null
     * when none, or when no user is given), in one query; null when there is no such namespace.
     */
    async findForAccess(
      name: string,
      userId: string | null,
    ): Promise<{ id: number; name: string; public: boolean; memberRole: string | null } | null> {
      const row = await db
        .selectFrom('namespaces')
        .leftJoin('namespace_members as m', (join) =>
          join.onRef('m.namespace_id', '=', 'namespaces.id').on('m.user_id', '=', userId ?? ''),
        )
        .select(['namespaces.id', 'namespaces.name', 'namespaces.public', 'm.role'])
        .where('namespaces.name', '=', name)
        .executeTakeFirst();
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        public: row.public === 1,
        memberRole: userId === null ? null : row.role,
      };
    },

    async update(name: string, changes: NamespaceChanges, ctx: ActionContext) {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, name);
        await trx
          .updateTable('namespaces')
          .set({
            ...(changes.quotaBytes === undefined ? {} : { quota_bytes: changes.quotaBytes }),
            ...(changes.public === undefined ? {} : { public: changes.public ? 1 : 0 }),
          })
          .where('id', '=', ns.id)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'namespace.update',
          target: name,
          outcome: 'success',
          details: {
            ...(changes.quotaBytes === undefined
              ? {}
              : { quotaBytes: changes.quotaBytes, previousQuotaBytes: ns.quota_bytes }),
            ...(changes.public === undefined
              ? {}
              : { public: changes.public, previousPublic: ns.public === 1 }),
          },
        });
        return toRecord(await resolveNamespace(trx, name));
      });
    },

    async create(
      input: { name: string; region: string; quotaBytes: number | null; public?: boolean },
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
            public: input.public ? 1 : 0,
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
  };
}
