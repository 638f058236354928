import { sql } from 'kysely';
import type { Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { compiledOnce } from './compiled-once.js';
import { chunks } from './blob-reclaim.js';
import { ensureRepository, resolveNamespace } from './resolve.js';

export type ManifestRef = { tag: string } | { digest: string };

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
  /** The bytes as stored: sealed under the namespace's key when encrypted at rest. */
  content: Uint8Array | null;
  /** The namespace it is in: sealed bytes are opened with that namespace's key. */
  namespaceId: number;
}

/** Outcome of finishing an upload: `busy` while GC is still deleting the same digest. */
export type LinkOutcome = 'linked' | 'busy';

/**
 * What the OCI Distribution API reads and writes beyond the image model: manifests by tag or
 * digest, blob links per repository, tag and repository listings, referrers.
 */
function findRepository(db: Db, namespace: string, repository: string) {
  return db
    .selectFrom('repositories')
    .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
    .select(['repositories.id', 'repositories.image_count'])
    .where('namespaces.name', '=', namespace)
    .where('repositories.name', '=', repository)
    .executeTakeFirst();
}

/** Links (or re-touches) a blob in a repository, creating the repository on first push. */
async function linkToRepository(
  trx: Db,
  namespaceId: number,
  repository: string,
  digest: string,
  now: number,
): Promise<void> {
  const repo = await ensureRepository(trx, namespaceId, repository, now);
  await trx
    .insertInto('repository_blobs')
    .values({ repository_id: repo.id, digest, touched_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ touched_at: now }))
    .execute();
}

/**
 * The reads every pull and push makes, compiled once (see compiledOnce): a manifest by tag or
 * by digest, with or without its bytes, a repository's id, and a blob link.
 */
function hotReads(db: Db) {
  const manifest = (by: 'tag' | 'digest', withContent: boolean) =>
    compiledOnce<[string, string, string], ManifestRow>(db, 3, (namespace, repository, ref) => {
      const qb = db
        .selectFrom('manifests')
        .innerJoin('repositories', 'repositories.id', 'manifests.repository_id')
        .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
        .select([
          'manifests.digest',
          'manifests.media_type',
          'manifests.manifest_size',
          'namespaces.id as namespace_id',
          withContent ? 'manifests.content' : sql<null>`null`.as('content'),
        ])
        .where('namespaces.name', '=', namespace)
        .where('repositories.name', '=', repository)
        .where('manifests.state', '=', 'live');
      return by === 'tag'
        ? qb
            .innerJoin('tags', 'tags.manifest_id', 'manifests.id')
            .whereRef('tags.repository_id', '=', 'repositories.id')
            .where('tags.name', '=', ref)
        : qb.where('manifests.digest', '=', ref);
    });
  return {
    manifestByTag: manifest('tag', false),
    manifestByTagWithContent: manifest('tag', true),
    manifestByDigest: manifest('digest', false),
    manifestByDigestWithContent: manifest('digest', true),
    repository: compiledOnce<[string, string], { id: number; image_count: number }>(
      db,
      2,
      (namespace, repository) =>
        db
          .selectFrom('repositories')
          .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
          .select(['repositories.id', 'repositories.image_count'])
          .where('namespaces.name', '=', namespace)
          .where('repositories.name', '=', repository),
    ),
    blob: compiledOnce<[number, string], { size: number; touched_at: number }>(
      db,
      2,
      (repository, digest) =>
        db
          .selectFrom('repository_blobs')
          .innerJoin('blobs', 'blobs.digest', 'repository_blobs.digest')
          .select(['blobs.size', 'repository_blobs.touched_at'])
          // The placeholder is a string; the real value, a row id, is bound the same way.
          .where('repository_blobs.repository_id', '=', repository as unknown as number)
          .where('repository_blobs.digest', '=', digest)
          .where('blobs.deleting', '=', 0),
    ),
  };
}

interface ManifestRow {
  digest: string;
  media_type: string;
  manifest_size: number;
  namespace_id: number;
  content: Uint8Array | null;
}

export function createRegistryStore(db: Db) {
  const hot = hotReads(db);
  return {
    /** The repository's id and live image count, or undefined. */
    repositoryId: (namespace: string, repository: string) => hot.repository(namespace, repository),

    /** A live manifest by tag or digest; `content` only when asked for (GET, not HEAD). */
    async findManifest(
      namespace: string,
      repository: string,
      ref: ManifestRef,
      withContent: boolean,
    ): Promise<StoredManifest | null> {
      const row =
        'tag' in ref
          ? await (withContent ? hot.manifestByTagWithContent : hot.manifestByTag)(
              namespace,
              repository,
              ref.tag,
            )
          : await (withContent ? hot.manifestByDigestWithContent : hot.manifestByDigest)(
              namespace,
              repository,
              ref.digest,
            );
      if (!row) return null;
      return {
        digest: row.digest,
        mediaType: row.media_type,
        size: row.manifest_size,
        content: row.content,
        namespaceId: Number(row.namespace_id),
      };
    },

    /** Platform manifests of a live index, for clients that cannot read an index. */
    async indexChildren(namespace: string, repository: string, indexDigest: string) {
      return db
        .selectFrom('manifest_children')
        .innerJoin('manifests as parent', 'parent.id', 'manifest_children.parent_id')
        .innerJoin('manifests as child', 'child.id', 'manifest_children.child_id')
        .innerJoin('repositories', 'repositories.id', 'parent.repository_id')
        .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
        .select([
          'child.digest',
          'child.media_type',
          'child.platform_os',
          'child.platform_architecture',
        ])
        .where('namespaces.name', '=', namespace)
        .where('repositories.name', '=', repository)
        .where('parent.digest', '=', indexDigest)
        .orderBy('manifest_children.position')
        .execute();
    },

    /** Tags of a repository in lexical order, after `last`. */
    async listTags(repository: number, opts: { last?: string; n: number }) {
      let qb = db
        .selectFrom('tags')
        .select('name')
        .where('repository_id', '=', repository)
        .orderBy('name')
        .limit(opts.n + 1);
      if (opts.last !== undefined) qb = qb.where('name', '>', opts.last);
      const rows = await qb.execute();
      return { names: rows.slice(0, opts.n).map((r) => r.name), more: rows.length > opts.n };
    },

    /** Full names of repositories holding at least one live image, in lexical order. */
    async catalog(opts: { last?: string; n: number }) {
      const full = sql<string>`namespaces.name || '/' || repositories.name`;
      let qb = db
        .selectFrom('repositories')
        .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
        .select(full.as('name'))
        .where('repositories.image_count', '>', 0)
        .orderBy(full)
        .limit(opts.n + 1);
      if (opts.last !== undefined) qb = qb.where(full, '>', opts.last);
      const rows = await qb.execute();
      return { names: rows.slice(0, opts.n).map((r) => r.name), more: rows.length > opts.n };
    },

    /**
     * Live manifests whose subject is `digest`, in the order Berth first stored them, with their
     * bytes for annotations: one page of `limit` after the row id `after`, and whether more follow.
     */
    async referrers(repository: number, digest: string, page: { limit: number; after?: number }) {
      let qb = db
        .selectFrom('manifests')
        .select(['id', 'digest', 'media_type', 'manifest_size', 'artifact_type', 'content'])
        .where('repository_id', '=', repository)
        .where('subject_digest', '=', digest)
        .where('state', '=', 'live')
        .orderBy('id')
        .limit(page.limit + 1);
      if (page.after !== undefined) qb = qb.where('id', '>', page.after);
      const rows = await qb.execute();
      return { rows: rows.slice(0, page.limit), more: rows.length > page.limit };
    },

    /**
     * A blob this repository may read: linked to it and not being deleted. Only reads: the
     * caller decides whether to `touchBlobLink` (a read must keep working on a full disk).
     */
    async findBlob(repository: number, digest: string) {
      const row = await hot.blob(repository, digest);
      return row ? { size: row.size, touchedAt: row.touched_at } : null;
    },

    /**
     * Marks a link as just used, so a client that checks for a blob and then skips its upload
     * keeps it safe from GC until the manifest arrives.
     */
    async touchBlobLink(repository: number, digest: string, now: number): Promise<void> {
      await db
        .updateTable('repository_blobs')
        .set({ touched_at: now })
        .where('repository_id', '=', repository)
        .where('digest', '=', digest)
        .execute();
    },

    /**
     * The digests this repository cannot use in a manifest: not linked to it, or being
     * deleted. A read-only look before a push's own transaction checks the same again.
     */
    async unusableBlobs(
      namespace: string,
      repository: string,
      digests: readonly string[],
    ): Promise<Set<string>> {
      const usable = new Set<string>();
      for (const chunk of chunks([...new Set(digests)])) {
        const rows = await db
          .selectFrom('repository_blobs')
          .innerJoin('repositories', 'repositories.id', 'repository_blobs.repository_id')
          .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
          .innerJoin('blobs', 'blobs.digest', 'repository_blobs.digest')
          .select('repository_blobs.digest')
          .where('namespaces.name', '=', namespace)
          .where('repositories.name', '=', repository)
          .where('repository_blobs.digest', 'in', chunk)
          .where('blobs.deleting', '=', 0)
          .execute();
        for (const r of rows) usable.add(r.digest);
      }
      return new Set(digests.filter((d) => !usable.has(d)));
    },

    /**
     * Records a blob whose bytes were verified, linked to the repository (created on demand).
     * `busy` when GC is deleting the same digest right now: the caller waits and retries,
     * then moves its file into place.
     */
    async linkBlob(
      namespace: string,
      repository: string,
      blob: { digest: string; size: number; mediaType?: string | null },
      now: number,
    ): Promise<LinkOutcome> {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const existing = await trx
          .selectFrom('blobs')
          .select(['deleting', 'size'])
          .where('digest', '=', blob.digest)
          .executeTakeFirst();
        if (existing?.deleting) return 'busy';
        if (!existing) {
          await trx
            .insertInto('blobs')
            .values({
              digest: blob.digest,
              size: blob.size,
              media_type: blob.mediaType ?? null,
              created_at: now,
            })
            .execute();
        }
        await linkToRepository(trx, ns.id, repository, blob.digest, now);
        return 'linked';
      });
    },

    /** Cross-repository mount: links a blob `from` holds. false when `from` cannot read it. */
    async mountBlob(
      namespace: string,
      repository: string,
      from: { namespace: string; repository: string },
      digest: string,
      now: number,
    ): Promise<{ size: number } | null> {
      return db.transaction().execute(async (trx) => {
        const source = await trx
          .selectFrom('repository_blobs')
          .innerJoin('repositories', 'repositories.id', 'repository_blobs.repository_id')
          .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
          .innerJoin('blobs', 'blobs.digest', 'repository_blobs.digest')
          .select('blobs.size')
          .where('namespaces.name', '=', from.namespace)
          .where('repositories.name', '=', from.repository)
          .where('repository_blobs.digest', '=', digest)
          .where('blobs.deleting', '=', 0)
          .executeTakeFirst();
        if (!source) return null;
        const ns = await resolveNamespace(trx, namespace);
        await linkToRepository(trx, ns.id, repository, digest, now);
        return { size: source.size };
      });
    },

    /**
     * Removes a blob's link from a repository: reads through it answer 404 from now on. The
     * bytes stay while any manifest anywhere (live or in a trash) uses them; GC decides. A
     * restore, a re-upload or a mount links the blob again.
     */
    async unlinkBlob(
      namespace: string,
      repository: string,
      digest: string,
      ctx: ActionContext,
    ): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const repo = await findRepository(trx, namespace, repository);
        if (!repo) return false;
        const deleted = await trx
          .deleteFrom('repository_blobs')
          .where('repository_id', '=', repo.id)
          .where('digest', '=', digest)
          .executeTakeFirst();
        if (Number(deleted.numDeletedRows) === 0) return false;
        // A restore relinks the blobs of the images trashed before this (see migration 0013).
        await trx
          .updateTable('repositories')
          .set({ blobs_unlinked_at: ctx.now })
          .where('id', '=', repo.id)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'blob.delete',
          target: `${namespace}/${repository}@${digest}`,
          outcome: 'success',
        });
        return true;
      });
    },
  };
}

export type RegistryStore = ReturnType<typeof createRegistryStore>;
