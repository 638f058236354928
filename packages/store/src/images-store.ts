import {
  ConflictError,
  InputError,
  manifestBlobUnknown,
  NotFoundError,
  MAX_INDEX_DEPTH,
  type TrashReason,
  goingWith,
  platformImages,
  referrerTypeOf,
  requireIndexDepth,
  type TagSignatureKind,
  quotaExceededMessage,
} from '@berth/domain';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Database, Db } from './database.js';
import type { ActionContext } from './context.js';
import { recordAudit } from './audit-store.js';
import { relinkBlobs, reviveTrashEntry } from './trash-revive.js';
import { chunks } from './blob-reclaim.js';
import { tagsOf } from './tags-of.js';
import { liveAttachmentsOf } from './live-attachments.js';
import { trashImages } from './trash-images.js';
import { loadImageGraph } from './image-graph-load.js';
import { settleTagSignatures } from './tag-signatures.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  adjustLiveCounters,
  ensureRepository,
  resolveNamespace,
  resolveRepository,
} from './resolve.js';
import { LISTED } from './listed.js';
import { greatest } from './sql-lists.js';
import { type ScanCounts, latestScanResults } from './scans/scans-store.js';

export type ImageSortKey = 'pushedAt' | 'createdAt' | 'sizeBytes';
const SORT_COLUMN = {
  pushedAt: 'pushed_at',
  createdAt: 'created_sort',
  sizeBytes: 'size_bytes',
} as const;

export interface ImageRecord {
  digest: string;
  tags: string[];
  mediaType: string;
  artifactType: string | null;
  sizeBytes: number;
  createdAt: number | null;
  pushedAt: number;
  /** Referrers (OCI `subject`) and cosign tag signatures, oldest first. */
  referrers: {
    digest: string;
    artifactType: string | null;
    mediaType: string;
    kind: 'referrer' | 'tag-signature';
    type: TagSignatureKind | null;
    tags: string[];
  }[];
  platforms: { os: string; architecture: string; variant: string | null; digest: string }[];
  /**
   * Its newest vulnerability scan, in counts; for an index, each severity's highest count
   * among its platform images. Null when nothing of it has a kept result.
   */
  vulnerabilities: ImageVulnerabilities | null;
}

export interface ImageVulnerabilities extends ScanCounts {
  /** When the (oldest, for an index) result was generated. */
  scannedAt: number;
  /** Whether a scan failed (of any platform): its counts are then incomplete. */
  failed: boolean;
}

export interface TrashedImageRecord {
  trashId: string;
  repository: string;
  digest: string;
  tags: string[];
  sizeBytes: number;
}

export interface IngestBlob {
  digest: string;
  size: number;
  mediaType: string | null;
}

export interface IngestManifest {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  manifestSize: number;
  /** Config and layers. */
  blobs: IngestBlob[];
  /** Platform manifests of an index; each must already be stored in the repository. */
  children: {
    digest: string;
    platform: { os: string; architecture: string; variant: string | null } | null;
  }[];
  subject: string | null;
  createdAt: number | null;
  /** Platform from the image config, for images pushed on their own. */
  platform?: { os: string; architecture: string; variant: string | null } | null;
  /** The exact bytes, served back on pull. */
  content: Uint8Array;
  /**
   * The id of the namespace `content` was sealed for (bound into its seal): refused when the
   * namespace of that name is now another, deleted and created again since, whose key cannot
   * open it.
   */
  sealedFor?: number;
  /**
   * Queue a vulnerability scan of it, in the same transaction (so a crash cannot lose it),
   * when this push stores it for the first time.
   */
  scan?: boolean;
}

export type ManifestRow = {
  id: number;
  repository_id: number;
  digest: string;
  media_type: string;
  size_bytes: number;
  top_level: number;
  state: string;
};

export const manifestColumns = [
  'id',
  'repository_id',
  'digest',
  'media_type',
  'size_bytes',
  'top_level',
  'state',
] as const;

/**
 * Every config and layer must be linked to the repository (uploaded or mounted into it) and
 * not being garbage-collected. Checked inside the push's transaction, so GC, which runs its
 * own transactions, can never remove a blob between this check and the manifest's insert.
 */
async function requireLinkedBlobs(
  trx: Db,
  repositoryId: number,
  blobs: readonly IngestBlob[],
  full: string,
): Promise<void> {
  const unique = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  for (const chunk of chunks(unique)) {
    const rows = await trx
      .selectFrom('repository_blobs')
      .innerJoin('blobs', 'blobs.digest', 'repository_blobs.digest')
      .select(['blobs.digest', 'blobs.size'])
      .where('repository_blobs.repository_id', '=', repositoryId)
      .where(
        'repository_blobs.digest',
        'in',
        chunk.map((b) => b.digest),
      )
      .where('blobs.deleting', '=', 0)
      .execute();
    const sizes = new Map(rows.map((r) => [r.digest, r.size]));
    for (const b of chunk) {
      const size = sizes.get(b.digest);
      if (size === undefined) {
        throw manifestBlobUnknown(full, b.digest);
      }
      if (size !== b.size) {
        throw new InputError(
          'MANIFEST_INVALID',
          `the manifest gives blob ${b.digest} a size of ${b.size} bytes, but it has ${size}`,
          { digest: b.digest },
        );
      }
    }
  }
}

function requireQuota(
  ns: { name: string; quota_bytes: number | null; size_bytes: number },
  growth: number,
): void {
  if (ns.quota_bytes === null || growth <= 0) return;
  if (ns.size_bytes + growth > ns.quota_bytes) {
    throw new ConflictError(
      'QUOTA_EXCEEDED',
      quotaExceededMessage({
        namespace: ns.name,
        usedBytes: ns.size_bytes,
        quotaBytes: ns.quota_bytes,
        neededBytes: growth,
        what: 'image',
      }),
      { quotaBytes: ns.quota_bytes, usedBytes: ns.size_bytes, pushBytes: growth },
    );
  }
}

/**
 * A re-pushed manifest that is in the trash comes back. When it is the image its trash entry
 * is about, the whole entry (referrers and platform images) comes back; when it went to the
 * trash with an index or a subject, it alone is taken out of that entry.
 */
async function reviveFromPush(
  trx: Db,
  ids: { namespaceId: number; repositoryId: number },
  manifestId: number,
  entryId: number,
  ns: { name: string; quota_bytes: number | null; size_bytes: number },
  now: number,
) {
  const entry = await trx
    .selectFrom('trash_entries')
    .select(['id', 'manifest_id', 'size_bytes'])
    .where('id', '=', entryId)
    .executeTakeFirstOrThrow();
  const row = await trx
    .selectFrom('manifests')
    .select([...manifestColumns, 'subject_digest', 'signs_digest'])
    .where('id', '=', manifestId)
    .executeTakeFirstOrThrow();
  if (entry.manifest_id === manifestId) {
    requireQuota(ns, row.top_level * row.size_bytes);
    await reviveTrashEntry(trx, ids, entry, now);
  } else {
    // It comes out of the entry with its own descendants and attachments from that entry
    // (a child index brings its platform images), nothing else.
    const topLevel = row.subject_digest === null && row.signs_digest === null ? 1 : 0;
    requireQuota(ns, topLevel * row.size_bytes);
    const { graph, nodes } = await loadImageGraph(trx, ids.repositoryId, [
      { id: row.id, digest: row.digest, state: 'trashed' },
    ]);
    const parts = goingWith([manifestId], {
      ...graph,
      parents: new Map(),
      live: (id) => id === manifestId || nodes.get(id)?.trashEntryId === entryId,
    });
    for (const chunk of chunks(parts)) {
      await trx
        .updateTable('manifests')
        .set({ state: 'live', trash_entry_id: null, revision: sql<number>`revision + 1` })
        .where('id', 'in', chunk)
        .execute();
    }
    await trx
      .updateTable('manifests')
      .set({ top_level: topLevel, listed: topLevel })
      .where('id', '=', manifestId)
      .execute();
    if (topLevel === 1) await adjustLiveCounters(trx, ids, 1, row.size_bytes);
    await relinkBlobs(trx, ids.repositoryId, parts, now);
  }
  return trx
    .selectFrom('manifests')
    .select([...manifestColumns, 'trash_entry_id'])
    .where('id', '=', manifestId)
    .executeTakeFirstOrThrow();
}

/**
 * How deep a new index nests (1 for an index of images) and the size its children add: every
 * distinct manifest below it counted once (a platform image two child indexes share is one
 * part of the image), image manifests with their config and layers.
 */
async function indexShape(
  trx: Db,
  childIds: readonly number[],
): Promise<{ depth: number; sizeBytes: number }> {
  const seen = new Set<number>();
  let sizeBytes = 0;
  let depth = 0;
  let level = [...new Set(childIds)];
  while (level.length > 0) {
    depth++;
    // Deeper than the limit is refused whatever lies further down: stop reading there.
    if (depth > MAX_INDEX_DEPTH) break;
    const next: number[] = [];
    for (const chunk of chunks(level)) {
      const rows = await trx
        .selectFrom('manifests')
        .select(['id', 'manifest_size', 'size_bytes'])
        .select((eb) =>
          eb
            .selectFrom('manifest_children')
            .select((c) => c.fn.countAll<number>().as('n'))
            .whereRef('manifest_children.parent_id', '=', 'manifests.id')
            .as('children'),
        )
        .where('id', 'in', chunk)
        .execute();
      for (const r of rows) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        if (Number(r.children ?? 0) > 0) {
          sizeBytes += r.manifest_size;
          next.push(r.id);
        } else {
          sizeBytes += r.size_bytes;
        }
      }
    }
    level = [];
    for (const chunk of chunks(next)) {
      const kids = await trx
        .selectFrom('manifest_children')
        .select('child_id')
        .where('parent_id', 'in', chunk)
        .execute();
      level.push(...kids.map((k) => k.child_id).filter((id) => !seen.has(id)));
    }
    level = [...new Set(level)];
  }
  return { depth, sizeBytes };
}

export function createImagesStore(db: Db) {
  async function attachDetails(repositoryId: number, rows: { id: number; digest: string }[]) {
    const ids = rows.map((r) => r.id);
    const digests = rows.map((r) => r.digest);
    const referrers = new Map<string, ImageRecord['referrers']>();
    const platforms = new Map<number, ImageRecord['platforms']>();
    const vulnerabilities = new Map<number, ImageVulnerabilities>();
    if (ids.length === 0) {
      return { tags: new Map<number, string[]>(), referrers, platforms, vulnerabilities };
    }
    const tags = await tagsOf(db, ids);
    const refRows = await liveAttachmentsOf(db, repositoryId, digests);
    const refTags = await tagsOf(
      db,
      refRows.map((r) => r.id),
    );
    for (const r of refRows) {
      // A manifest with a subject is a referrer, whatever tag it also carries.
      const tagSignature = r.subject_digest === null;
      const key = (tagSignature ? r.signs_digest : r.subject_digest) ?? '';
      referrers.set(key, [
        ...(referrers.get(key) ?? []),
        {
          digest: r.digest,
          artifactType: r.artifact_type,
          mediaType: r.media_type,
          kind: tagSignature ? 'tag-signature' : 'referrer',
          type: tagSignature
            ? ((r.signs_kind as TagSignatureKind | null) ?? null)
            : referrerTypeOf(r.artifact_type),
          tags: refTags.get(r.id) ?? [],
        },
      ]);
    }
    // Every level of child indexes, so a nested index lists the platform images at its leaves.
    const children = new Map<number, number[]>();
    const leaves = new Map<
      number,
      { digest: string; os: string | null; arch: string | null; variant: string | null }
    >();
    let level = ids;
    for (let depth = 0; level.length > 0 && depth <= MAX_INDEX_DEPTH; depth++) {
      const next: number[] = [];
      for (const chunk of chunks(level)) {
        const childRows = await db
          .selectFrom('manifest_children')
          .innerJoin('manifests', 'manifests.id', 'manifest_children.child_id')
          .select([
            'manifest_children.parent_id',
            'manifest_children.child_id',
            'manifests.digest',
            'platform_os',
            'platform_architecture',
            'platform_variant',
          ])
          .where('manifest_children.parent_id', 'in', chunk)
          .orderBy('manifest_children.parent_id')
          .orderBy('manifest_children.position')
          .execute();
        for (const c of childRows) {
          children.set(c.parent_id, [...(children.get(c.parent_id) ?? []), c.child_id]);
          if (!leaves.has(c.child_id)) {
            leaves.set(c.child_id, {
              digest: c.digest,
              os: c.platform_os,
              arch: c.platform_architecture,
              variant: c.platform_variant,
            });
            next.push(c.child_id);
          }
        }
      }
      level = next;
    }
    for (const id of ids) {
      const list = platformImages(id, children).flatMap((leaf) => {
        const c = leaves.get(leaf);
        return c
          ? [
              {
                os: c.os ?? 'unknown',
                architecture: c.arch ?? 'unknown',
                variant: c.variant,
                digest: c.digest,
              },
            ]
          : [];
      });
      if (list.length > 0) platforms.set(id, list);
    }
    const scanned = await latestScanResults(db, [...ids, ...leaves.keys()]);
    for (const id of ids) {
      const own = platformImages(id, children);
      const results = (own.length > 0 ? own : [id]).flatMap((m) => {
        const r = scanned.get(m);
        return r ? [r] : [];
      });
      if (results.length === 0) continue;
      const most = (key: keyof ScanCounts) => Math.max(...results.map((r) => r[key]));
      vulnerabilities.set(id, {
        critical: most('critical'),
        high: most('high'),
        medium: most('medium'),
        low: most('low'),
        unknown: most('unknown'),
        fixable: most('fixable'),
        scannedAt: Math.min(...results.map((r) => r.generatedAt)),
        failed: results.some((r) => r.status === 'failed'),
      });
    }
    return { tags, referrers, platforms, vulnerabilities };
  }

  return {
    async list(
      namespace: string,
      repository: string,
      query: {
        q?: string;
        tagged?: boolean;
        sort: ImageSortKey;
        order?: 'asc' | 'desc';
        cursor?: string;
        limit: number;
      },
    ) {
      const ns = await resolveNamespace(db, namespace);
      const repo = await resolveRepository(db, ns, repository);
      const column = SORT_COLUMN[query.sort];
      const order = query.order ?? 'desc';
      const after = decodeCursor(query.cursor, ['number', 'number']);
      let qb = db
        .selectFrom('manifests')
        .select([
          'id',
          'digest',
          'media_type',
          'artifact_type',
          'size_bytes',
          'created_at',
          'created_sort',
          'pushed_at',
        ])
        .where('repository_id', '=', repo.id)
        .where('listed', '=', LISTED)
        .orderBy(column, order)
        .orderBy('id', order)
        .limit(query.limit + 1);
      if (after) {
        qb = qb.where((eb) =>
          eb(
            eb.refTuple(column, 'id'),
            order === 'asc' ? '>' : '<',
            eb.tuple(after[0] as number, after[1] as number),
          ),
        );
      }
      if (query.q) {
        const q = query.q;
        const digestPrefix = /^sha(256|512):/.test(q) ? q : `sha256:${q}`;
        // A UNION (not an OR) lets each half use its own index: tag names through the
        // tags primary key, digests through the unique (repository_id, digest) index.
        qb = qb.where('id', 'in', (eb) =>
          eb
            .selectFrom('tags')
            .select('manifest_id as id')
            .where('repository_id', '=', repo.id)
            .where('name', '>=', q)
            .where('name', '<', `${q}\uffff`)
            .union(
              eb
                .selectFrom('manifests as m')
                .select('m.id as id')
                .where('m.repository_id', '=', repo.id)
                .where('m.digest', '>=', digestPrefix)
                .where('m.digest', '<', `${digestPrefix}\uffff`),
            ),
        );
      }
      if (query.tagged !== undefined) {
        const hasTag = (eb: ExpressionBuilder<Database, 'manifests'>) =>
          eb.exists(
            eb
              .selectFrom('tags')
              .select('tags.manifest_id')
              .whereRef('tags.manifest_id', '=', 'manifests.id'),
          );
        qb = qb.where((eb) => (query.tagged ? hasTag(eb) : eb.not(hasTag(eb))));
      }
      const rows = await qb.execute();
      const page = rows.slice(0, query.limit);
      const details = await attachDetails(repo.id, page);
      const last = page.at(-1);
      const sortValue = (r: (typeof rows)[number]) =>
        column === 'pushed_at'
          ? r.pushed_at
          : column === 'created_sort'
            ? r.created_sort
            : r.size_bytes;
      return {
        items: page.map((r): ImageRecord => ({
          digest: r.digest,
          tags: details.tags.get(r.id) ?? [],
          mediaType: r.media_type,
          artifactType: r.artifact_type,
          sizeBytes: r.size_bytes,
          createdAt: r.created_at,
          pushedAt: r.pushed_at,
          referrers: details.referrers.get(r.digest) ?? [],
          platforms: details.platforms.get(r.id) ?? [],
          vulnerabilities: details.vulnerabilities.get(r.id) ?? null,
        })),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor([sortValue(last), last.id]) : null,
      };
    },

    /**
     * Records a pushed manifest with its blobs and tags. Children of an index stop being
     * listed as images of their own once the index that holds them arrives.
     */
    async ingest(
      namespace: string,
      repository: string,
      input: IngestManifest,
      tags: readonly string[],
      ctx: ActionContext,
    ) {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        if (input.sealedFor !== undefined && input.sealedFor !== ns.id) {
          throw new NotFoundError(
            'NAME_UNKNOWN',
            `namespace "${namespace}" was deleted and created again during this push; push again`,
          );
        }
        const repo = await ensureRepository(trx, ns.id, repository, ctx.now);
        const ids = { namespaceId: ns.id, repositoryId: repo.id };
        const full = `${namespace}/${repository}`;
        let manifest = await trx
          .selectFrom('manifests')
          .select([...manifestColumns, 'trash_entry_id'])
          .where('repository_id', '=', repo.id)
          .where('digest', '=', input.digest)
          .executeTakeFirst();
        // Checked for a manifest already stored too: a blob DELETE may have unlinked one, and
        // the client's re-upload (which relinks it) is what makes the image whole again.
        await requireLinkedBlobs(trx, repo.id, input.blobs, full);
        if (manifest?.state === 'trashed' && manifest.trash_entry_id !== null) {
          // Pushing an image that is in the trash brings it back, as a restore would, but
          // with only the tags of this push.
          manifest = await reviveFromPush(
            trx,
            ids,
            manifest.id,
            manifest.trash_entry_id,
            ns,
            ctx.now,
          );
        }
        if (!manifest) {
          const childRows = input.children.length
            ? await trx
                .selectFrom('manifests')
                .select(manifestColumns)
                .where('repository_id', '=', repo.id)
                .where(
                  'digest',
                  'in',
                  input.children.map((c) => c.digest),
                )
                .where('state', '=', 'live')
                .execute()
            : [];
          const missing = input.children.find((c) => !childRows.some((r) => r.digest === c.digest));
          if (missing) {
            throw new NotFoundError(
              'MANIFEST_BLOB_UNKNOWN',
              `the index refers to manifest ${missing.digest}, which ${full} does not hold; push the platform manifests first`,
              { digest: missing.digest },
            );
          }
          const shape = await indexShape(
            trx,
            childRows.map((c) => c.id),
          );
          if (input.children.length > 0) requireIndexDepth(shape.depth);
          const size =
            input.manifestSize + input.blobs.reduce((s, b) => s + b.size, 0) + shape.sizeBytes;
          const topLevel = input.subject === null ? 1 : 0;
          const growth =
            topLevel * size -
            childRows.filter((c) => c.top_level === 1).reduce((s, c) => s + c.size_bytes, 0);
          requireQuota(ns, growth);
          const inserted = await trx
            .insertInto('manifests')
            .values({
              repository_id: repo.id,
              digest: input.digest,
              media_type: input.mediaType,
              artifact_type: input.artifactType,
              manifest_size: input.manifestSize,
              size_bytes: size,
              created_at: input.createdAt,
              created_sort: input.createdAt ?? 0,
              pushed_at: ctx.now,
              subject_digest: input.subject,
              platform_os: input.platform?.os ?? null,
              platform_architecture: input.platform?.architecture ?? null,
              platform_variant: input.platform?.variant ?? null,
              top_level: topLevel,
              state: 'live',
              listed: topLevel,
              trash_entry_id: null,
              content: input.content,
            })
            .returning(manifestColumns)
            .executeTakeFirstOrThrow();
          manifest = { ...inserted, trash_entry_id: null };
          if (input.scan) {
            await trx
              .insertInto('scan_requests')
              .values({ manifest_id: inserted.id, requested_at: ctx.now, reason: 'push' })
              .onConflict((oc) => oc.column('manifest_id').doNothing())
              .execute();
          }
          const uniqueBlobs = [...new Set(input.blobs.map((b) => b.digest))];
          for (const chunk of chunks(uniqueBlobs)) {
            await trx
              .insertInto('manifest_blobs')
              .values(chunk.map((d) => ({ manifest_id: inserted.id, blob_digest: d })))
              .execute();
          }
          for (const child of childRows) {
            const position = input.children.findIndex((c) => c.digest === child.digest);
            const platform = input.children[position]?.platform ?? null;
            await trx
              .insertInto('manifest_children')
              .values({ parent_id: inserted.id, child_id: child.id, position })
              .onConflict((oc) => oc.doNothing())
              .execute();
            await trx
              .updateTable('manifests')
              .set({
                top_level: 0,
                listed: 0,
                ...(platform
                  ? {
                      platform_os: platform.os,
                      platform_architecture: platform.architecture,
                      platform_variant: platform.variant,
                    }
                  : {}),
              })
              .where('id', '=', child.id)
              .execute();
            if (child.top_level === 1) await adjustLiveCounters(trx, ids, -1, -child.size_bytes);
          }
          if (topLevel === 1) await adjustLiveCounters(trx, ids, 1, size);
        }
        await trx
          .updateTable('repositories')
          .set((eb) => ({
            last_pushed_at: greatest(trx, eb.ref('last_pushed_at'), ctx.now),
          }))
          .where('id', '=', repo.id)
          .execute();
        const target = manifest;
        // A push is a change to the image it lands on, and to every image it takes a tag from.
        await trx
          .updateTable('manifests')
          .set({ revision: sql<number>`revision + 1` })
          .where((eb) =>
            eb.or([
              eb('id', '=', target.id),
              ...(tags.length > 0
                ? [
                    eb(
                      'id',
                      'in',
                      eb
                        .selectFrom('tags')
                        .select('manifest_id')
                        .where('repository_id', '=', repo.id)
                        .where('name', 'in', [...tags]),
                    ),
                  ]
                : []),
            ]),
          )
          .execute();
        for (const tag of tags) {
          await trx
            .insertInto('tags')
            .values({
              repository_id: repo.id,
              name: tag,
              manifest_id: target.id,
              updated_at: ctx.now,
            })
            .onConflict((oc) =>
              oc
                .columns(['repository_id', 'name'])
                .doUpdateSet({ manifest_id: target.id, updated_at: ctx.now }),
            )
            .execute();
        }
        await settleTagSignatures(trx, ids, target, tags);
        return {
          digest: input.digest,
          manifestId: target.id,
          topLevel: target.top_level === 1,
        };
      });
    },

    /**
     * Moves the given images to the trash in one transaction. Every image must exist and
     * be live; otherwise nothing is moved.
     */
    async trash(
      namespace: string,
      refs: readonly { repository: string; digest: string }[],
      reason: TrashReason,
      ctx: ActionContext,
    ) {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const unique = [...new Map(refs.map((r) => [`${r.repository}@${r.digest}`, r])).values()];
        // Per repository, in the order they were named: one set-based trash for each.
        const byRepository = new Map<string, { repository: string; digest: string }[]>();
        for (const ref of unique) {
          byRepository.set(ref.repository, [...(byRepository.get(ref.repository) ?? []), ref]);
        }
        const out: TrashedImageRecord[] = [];
        for (const [name, wanted] of byRepository) {
          const repo = await resolveRepository(trx, ns, name);
          const full = `${namespace}/${name}`;
          const rows = await trx
            .selectFrom('manifests')
            .select(manifestColumns)
            .where('repository_id', '=', repo.id)
            .where(
              'digest',
              'in',
              wanted.map((w) => w.digest),
            )
            .execute();
          const byDigest = new Map(rows.map((r) => [r.digest, r]));
          const seeds = wanted.map((ref) => {
            const m = byDigest.get(ref.digest);
            if (!m || m.state !== 'live') {
              throw new NotFoundError(
                m ? 'IMAGE_IN_TRASH' : 'IMAGE_UNKNOWN',
                m
                  ? `image ${ref.digest} of ${full} is already in the trash`
                  : `image ${ref.digest} does not exist in ${full}`,
              );
            }
            return m;
          });
          out.push(
            ...(await trashImages(
              trx,
              { namespaceId: ns.id, repositoryId: repo.id, repositoryName: repo.name },
              seeds,
              reason,
              ctx,
              { unavailable: 'refuse', fullName: full },
            )),
          );
        }
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'image.delete',
          target: namespace,
          outcome: 'success',
          details: {
            reason,
            images: out.map((o) => ({ repository: o.repository, digest: o.digest, tags: o.tags })),
          },
        });
        return out;
      });
    },

    /** Removes one tag; the image stays, tagged or untagged. */
    async untag(namespace: string, repository: string, tag: string, ctx: ActionContext) {
      return db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const repo = await resolveRepository(trx, ns, repository);
        const row = await trx
          .selectFrom('tags')
          .innerJoin('manifests', 'manifests.id', 'tags.manifest_id')
          .select('manifests.digest')
          .where('tags.repository_id', '=', repo.id)
          .where('tags.name', '=', tag)
          .executeTakeFirst();
        if (!row)
          throw new NotFoundError(
            'TAG_UNKNOWN',
            `tag "${tag}" does not exist in ${namespace}/${repository}`,
          );
        await trx
          .updateTable('manifests')
          .set({ revision: sql<number>`revision + 1` })
          .where(
            'id',
            '=',
            trx
              .selectFrom('tags')
              .select('manifest_id')
              .where('repository_id', '=', repo.id)
              .where('name', '=', tag),
          )
          .execute();
        await trx
          .deleteFrom('tags')
          .where('repository_id', '=', repo.id)
          .where('name', '=', tag)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'tag.delete',
          target: `${namespace}/${repository}:${tag}`,
          outcome: 'success',
          details: { digest: row.digest },
        });
        return { repository, tag, digest: row.digest };
      });
    },
  };
}
