import { NotFoundError, daysLeft } from '@berth/domain';
import { sql } from 'kysely';
import type { Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { currentRequestId } from './audit-context.js';
import { reclaimUnreferencedBlobs } from './blob-reclaim.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containsText } from './like.js';
import { outerLoopJoin, tuplesOf } from './sql-lists.js';
import { engineOf } from './store-handle.js';
import { adjustTrashCounters, resolveNamespace, resolveRepository } from './resolve.js';
import {
  type RestoredImage,
  restoreTrashEntries,
  restoreTrashEntriesById,
} from './trash-restore.js';
import { nothingToRestore } from './trash-restore-errors.js';
import { refuseRestoreIntoDeleting } from './operations/restore-while-deleting.js';

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

/** What an audit entry of a restore of many images records: counts, never the whole list. */
function restoreCounts(restored: readonly RestoredImage[]) {
  return {
    restored: restored.length,
    skippedTags: restored.reduce((n, r) => n + r.skippedTags.length, 0),
  };
}

/** Every string that starts with `prefix`, as a range an index can seek: [prefix, prefix + '~'). */
function prefixRange(prefix: string): [string, string] {
  // Tags and digests use only [A-Za-z0-9_.:-], all below '~' (trashSearchText checks).
  return [prefix, `${prefix}~`];
}

/**
 * Trash entries of a namespace (or one repository of it) with a tag that starts with `q`, or
 * whose digest does (`sha256:…`, or bare hex of at least 4 characters). Driven per repository
 * by index ranges: (repository_id, tag) of trash_tags and (repository_id, digest) of
 * manifests, never a scan of the namespace's whole trash.
 */
function trashEntriesMatching(db: Db, namespaceId: number, repositoryId: number | null, q: string) {
  const [tagFrom, tagTo] = prefixRange(q);
  const repos = db
    .selectFrom('repositories')
    .select('id')
    .where('namespace_id', '=', namespaceId)
    .$if(repositoryId !== null, (qb) => qb.where('id', '=', repositoryId!));
  const byTag = db
    .selectFrom('trash_tags')
    .select('trash_tags.trash_entry_id as id')
    .where('trash_tags.repository_id', 'in', repos)
    .where('trash_tags.tag', '>=', tagFrom)
    .where('trash_tags.tag', '<', tagTo);
  const digest = digestPrefix(q);
  if (digest === null) return byTag;
  const [digestFrom, digestTo] = prefixRange(digest);
  return byTag.union(
    db
      .selectFrom('manifests')
      .select('manifests.trash_entry_id as id')
      .where('manifests.repository_id', 'in', repos)
      .where('manifests.digest', '>=', digestFrom)
      .where('manifests.digest', '<', digestTo)
      // Not `trash_entry_id IS NOT NULL`: that would let the planner read the whole trash of
      // every namespace through the partial manifests_trash_entry index (migration 0016)
      // instead of the repository's digest range (plans-after-seeding.test.ts catches it).
      .where(sql`coalesce(manifests.trash_entry_id, 0)`, '<>', 0)
      .$narrowType<{ id: number }>(),
  );
}

/** The digest prefix `q` stands for, or null when it cannot be one. */
function digestPrefix(q: string): string | null {
  const lower = q.toLowerCase();
  if (/^sha(256|512):[0-9a-f]*$/.test(lower)) return lower;
  if (/^[0-9a-f]{4,}$/.test(lower)) return `sha256:${lower}`;
  return null;
}

export function createTrashStore(db: Db) {
  return {
    /** Newest deletions first; entries past expiry are hidden even before the sweeper runs. */
    async list(
      namespace: string,
      query: {
        repository?: string;
        retentionRun?: string;
        q?: string;
        cursor?: string;
        limit: number;
      },
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
      let repositoryId: number | null = null;
      if (query.repository !== undefined) {
        const repo = await resolveRepository(db, ns, query.repository);
        repositoryId = repo.id;
        qb = qb.where('trash_entries.repository_id', '=', repo.id);
      }
      if (query.q !== undefined) {
        const matching = trashEntriesMatching(db, ns.id, repositoryId, query.q);
        qb = qb.where('trash_entries.id', 'in', matching);
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
     * Repositories of the namespace with images in the trash (not yet expired) whose name
     * contains `q`, by name: what the trash's repository filter suggests as someone types.
     */
    async repositoriesInTrash(namespace: string, q: string, limit: number, now: number) {
      const ns = await resolveNamespace(db, namespace);
      const rows = await db
        .selectFrom('repositories')
        .select('repositories.name')
        .where('repositories.namespace_id', '=', ns.id)
        .$if(q !== '', (qb) => qb.where(containsText('repositories.name', q, engineOf(db))))
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('trash_entries')
              .select('trash_entries.id')
              .whereRef('trash_entries.repository_id', '=', 'repositories.id')
              .where('trash_entries.expires_at', '>', now),
          ),
        )
        .orderBy('repositories.name')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ name: r.name }));
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
        await refuseRestoreIntoDeleting(trx, ns, [repo.id]);
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
        const [restored] = await restoreTrashEntries(trx, [entry], ctx.now, {
          onlyTag: 'tag' in request ? request.tag : null,
        });
        const plan = { restore: restored!.tags, skipped: restored!.skippedTags };
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
     * Restores the selected images all together or none of them: an item that is not in the
     * trash (never was, restored already, expired) refuses the whole request and names it.
     */
    async restoreMany(
      namespace: string,
      items: readonly { repository: string; digest: string }[],
      ctx: ActionContext,
    ): Promise<RestoredImage[]> {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const names = [...new Set(items.map((i) => i.repository))];
        const repos = new Map(
          (
            await trx
              .selectFrom('repositories')
              .select(['id', 'name'])
              .where('namespace_id', '=', ns.id)
              .where('name', 'in', names)
              .execute()
          ).map((r) => [r.name, r.id]),
        );
        const unknownRepo = names.find((n) => !repos.has(n));
        if (unknownRepo !== undefined) {
          throw new NotFoundError(
            'REPOSITORY_UNKNOWN',
            `repository "${namespace}/${unknownRepo}" does not exist`,
            { repository: unknownRepo },
          );
        }
        await refuseRestoreIntoDeleting(trx, ns, [...repos.values()]);
        const j = tuplesOf(
          trx,
          'j',
          items.map((i) => [repos.get(i.repository), i.digest]),
          ['bigint', 'text'],
        );
        const found = await sql<{
          id: number;
          repository_id: number;
          digest: string;
          expires_at: number;
        }>`
          SELECT e.id, e.repository_id, e.digest, e.expires_at
          FROM ${j.from}
          ${outerLoopJoin(trx)} trash_entries e
            ON e.repository_id = ${j.field(0)} AND e.digest = ${j.field(1)}`.execute(trx);
        const byKey = new Map(found.rows.map((e) => [`${e.repository_id} ${e.digest}`, e]));
        for (const item of items) {
          const entry = byKey.get(`${repos.get(item.repository)} ${item.digest}`);
          if (!entry || entry.expires_at <= ctx.now) {
            throw new NotFoundError(
              entry ? 'TRASH_ENTRY_EXPIRED' : 'TRASH_ENTRY_UNKNOWN',
              entry
                ? `image ${item.digest} of ${namespace}/${item.repository} passed its 30 days in the trash and is being deleted permanently; nothing was restored`
                : `the trash of ${namespace}/${item.repository} holds no image ${item.digest}; nothing was restored`,
              { repository: item.repository, digest: item.digest },
            );
          }
        }
        const restored = await restoreTrashEntriesById(
          trx,
          [...new Set(found.rows.map((e) => e.id))],
          ctx.now,
        );
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'images.restore',
          target: namespace,
          outcome: 'success',
          details: restoreCounts(restored),
        });
        return restored;
      });
    },

    /**
     * The entries of a repository still in the trash and not expired, newest deletion first:
     * what "restore repository" brings back.
     */
    async restorableInRepository(namespace: string, repository: string, now: number) {
      const ns = await resolveNamespace(db, namespace);
      const repo = await resolveRepository(db, ns, repository);
      const rows = await db
        .selectFrom('trash_entries')
        .select('id')
        .where('repository_id', '=', repo.id)
        .where('expires_at', '>', now)
        .orderBy('deleted_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return { namespaceId: ns.id, repositoryId: repo.id, entryIds: rows.map((r) => r.id) };
    },

    /**
     * Restores everything of a repository still in the trash in one transaction (the caller
     * makes larger sets an operation of chunks instead).
     */
    async restoreRepository(
      namespace: string,
      repository: string,
      ctx: ActionContext,
    ): Promise<RestoredImage[]> {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const repo = await resolveRepository(trx, ns, repository);
        await refuseRestoreIntoDeleting(trx, ns, [repo.id]);
        const ids = await trx
          .selectFrom('trash_entries')
          .select('id')
          .where('repository_id', '=', repo.id)
          .where('expires_at', '>', ctx.now)
          .execute();
        if (ids.length === 0) throw nothingToRestore(namespace, repository);
        const restored = await restoreTrashEntriesById(
          trx,
          ids.map((r) => r.id),
          ctx.now,
        );
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'repository.restore',
          target: `${namespace}/${repository}`,
          outcome: 'success',
          details: restoreCounts(restored),
        });
        return restored;
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
          // Entries that expire in the same millisecond go (and are audited) in id order: the
          // index gives that order on SQLite, PostgreSQL has to be told.
          .orderBy('trash_entries.expires_at')
          .orderBy('trash_entries.id')
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
