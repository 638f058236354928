import { NotFoundError, daysLeft } from '@berth/domain';
import type { Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { currentRequestId } from './audit-context.js';
import { reclaimUnreferencedBlobs } from './blob-reclaim.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { adjustTrashCounters, resolveNamespace, resolveRepository } from './resolve.js';
import { restoreEntry } from './trash-revive.js';
import { settleTagSignatures } from './tag-signatures.js';

export interface TrashRecord {
  id: string;
  repository: string;
  digest: string;
  tags: string[];
  mediaType: string;
  sizeBytes: number;
  deletedAt: number;
  expiresAt: number;
  daysLeft: number;
  reason: string;
  actor: string;
  retentionRunId: string | null;
}

export type RestoreRequest =
  { repository: string; digest: string } | { repository: string; tag: string };

export interface RestoreOutcome {
  restored: { repository: string; digest: string; tags: string[] };
  skippedTags: { tag: string; reason: string; heldBy: string }[];
}

export function createTrashStore(db: Db) {
  return {
    /** Newest deletions first; entries past expiry are hidden even before the sweeper runs. */
    async list(
      namespace: string,
      query: { repository?: string; retentionRun?: string; cursor?: string; limit: number },
      now: number,
    ) {
      const ns = await resolveNamespace(db, namespace);
      const after = decodeCursor(query.cursor, ['number', 'number']);
      let qb = db
        .selectFrom('trash_entries')
        .innerJoin('repositories', 'repositories.id', 'trash_entries.repository_id')
        .select([
          'trash_entries.id',
          'repositories.name as repository',
          'trash_entries.digest',
          'trash_entries.tags',
          'trash_entries.media_type',
          'trash_entries.size_bytes',
          'trash_entries.deleted_at',
          'trash_entries.expires_at',
          'trash_entries.reason',
          'trash_entries.actor',
          'trash_entries.retention_run_id',
        ])
        .where('trash_entries.namespace_id', '=', ns.id)
        .where('trash_entries.expires_at', '>', now)
        .orderBy('trash_entries.deleted_at', 'desc')
        .orderBy('trash_entries.id', 'desc')
        .limit(query.limit + 1);
      if (query.repository !== undefined) {
        const repo = await resolveRepository(db, ns, query.repository);
        qb = qb.where('trash_entries.repository_id', '=', repo.id);
      }
      if (query.retentionRun !== undefined) {
        qb = qb.where('trash_entries.retention_run_id', '=', Number(query.retentionRun));
      }
      if (after) {
        qb = qb.where((eb) =>
          eb(
            eb.refTuple('trash_entries.deleted_at', 'trash_entries.id'),
            '<',
            eb.tuple(after[0] as number, after[1] as number),
          ),
        );
      }
      const rows = await qb.execute();
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((r): TrashRecord => ({
          id: String(r.id),
          repository: r.repository,
          digest: r.digest,
          tags: JSON.parse(r.tags) as string[],
          mediaType: r.media_type,
          sizeBytes: r.size_bytes,
          deletedAt: r.deleted_at,
          expiresAt: r.expires_at,
          daysLeft: daysLeft(r.expires_at, now),
          reason: r.reason,
          actor: r.actor,
          retentionRunId: r.retention_run_id === null ? null : String(r.retention_run_id),
        })),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor([last.deleted_at, last.id]) : null,
      };
    },

    /**
     * Restore by digest brings back every remembered tag no other image holds now. Restore
     * by tag brings back the image that last held the tag; it is refused when that tag is
     * held by another image, since the person asked for exactly that tag.
     */
    async restore(
      namespace: string,
      request: RestoreRequest,
      ctx: ActionContext,
    ): Promise<RestoreOutcome> {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const repo = await resolveRepository(trx, ns, request.repository);
        const entryQuery = trx
          .selectFrom('trash_entries')
          .selectAll('trash_entries')
          .where('trash_entries.repository_id', '=', repo.id);
        const entry =
          'digest' in request
            ? await entryQuery.where('digest', '=', request.digest).executeTakeFirst()
            : await entryQuery
                .innerJoin('trash_tags', 'trash_tags.trash_entry_id', 'trash_entries.id')
                .where('trash_tags.tag', '=', request.tag)
                .orderBy('trash_tags.deleted_at', 'desc')
                .orderBy('trash_entries.id', 'desc')
                .limit(1)
                .executeTakeFirst();
        const what =
          'digest' in request
            ? `image ${request.digest}`
            : `an image that held tag "${request.tag}"`;
        if (!entry || entry.expires_at <= ctx.now) {
          throw new NotFoundError(
            entry ? 'TRASH_ENTRY_EXPIRED' : 'TRASH_ENTRY_UNKNOWN',
            entry
              ? `${what} passed its 30 days in the trash and is being deleted permanently`
              : `the trash of ${namespace}/${request.repository} holds no ${what}`,
          );
        }
        const { plan } = await restoreEntry(
          trx,
          { namespaceId: ns.id, repositoryId: repo.id },
          entry,
          ctx,
          'tag' in request ? request.tag : null,
        );
        await settleTagSignatures(
          trx,
          { namespaceId: ns.id, repositoryId: repo.id },
          { id: entry.manifest_id, digest: entry.digest },
          plan.restore,
        );
        const outcome: RestoreOutcome = {
          restored: { repository: request.repository, digest: entry.digest, tags: plan.restore },
          skippedTags: plan.skipped,
        };
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'image.restore',
          target: `${namespace}/${request.repository}@${entry.digest}`,
          outcome: 'success',
          details: {
            by: 'digest' in request ? 'digest' : 'tag',
            tags: plan.restore,
            skippedTags: plan.skipped,
          },
        });
        return outcome;
      });
    },

    /**
     * Permanently deletes up to `batch` expired entries with the manifests they hold and
     * returns the blob digests it marked for deletion (the caller removes the files, then the
     * rows). Links touched after `linkCutoff` survive: a push may be about to use them.
     */
    async purgeExpired(now: number, opts: { linkCutoff?: number; batch?: number } = {}) {
      const batch = opts.batch ?? 500;
      return db.transaction().execute(async (trx) => {
        const entries = await trx
          .selectFrom('trash_entries')
          .innerJoin('namespaces', 'namespaces.id', 'trash_entries.namespace_id')
          .innerJoin('repositories', 'repositories.id', 'trash_entries.repository_id')
          .select([
            'trash_entries.id',
            'trash_entries.namespace_id',
            'trash_entries.size_bytes',
            'trash_entries.digest',
            'namespaces.name as namespace',
            'repositories.name as repository',
          ])
          .where('trash_entries.expires_at', '<=', now)
          .orderBy('trash_entries.expires_at')
          .limit(batch)
          .execute();
        if (entries.length === 0) return { purged: 0, reclaimed: [] as string[] };
        const entryIds = entries.map((e) => e.id);
        const manifests = await trx
          .selectFrom('manifests')
          .select(['id', 'digest'])
          .where('trash_entry_id', 'in', entryIds)
          .execute();
        const manifestIds = manifests.map((m) => m.id);
        const linked = manifestIds.length
          ? await trx
              .selectFrom('manifest_blobs')
              .select('blob_digest')
              .distinct()
              .where('manifest_id', 'in', manifestIds)
              .execute()
          : [];
        await trx.deleteFrom('trash_entries').where('id', 'in', entryIds).execute();
        if (manifestIds.length)
          await trx.deleteFrom('manifests').where('id', 'in', manifestIds).execute();
        // One statement per namespace and one for the audit rows, not two per entry: a batch
        // holds the writer for a few milliseconds instead of a thousand round trips.
        const perNamespace = new Map<number, { entries: number; bytes: number }>();
        for (const e of entries) {
          const total = perNamespace.get(e.namespace_id) ?? { entries: 0, bytes: 0 };
          total.entries += 1;
          total.bytes += e.size_bytes;
          perNamespace.set(e.namespace_id, total);
        }
        for (const [namespaceId, total] of perNamespace) {
          await adjustTrashCounters(trx, namespaceId, -total.entries, -total.bytes);
        }
        const requestId = currentRequestId();
        await trx
          .insertInto('audit_events')
          .values(
            entries.map((e) => ({
              at: now,
              actor: 'system:trash-sweeper',
              action: 'image.purge',
              target: `${e.namespace}/${e.repository}@${e.digest}`,
              outcome: 'success' as const,
              details: null,
              request_id: requestId,
            })),
          )
          .execute();
        const reclaimed = await reclaimUnreferencedBlobs(
          trx,
          linked.map((l) => l.blob_digest),
          opts.linkCutoff ?? now,
        );
        return { purged: entries.length, reclaimed };
      });
    },
  };
}
