import { NotFoundError, referrerTypeOf, type TagSignatureKind } from '@berth/domain';
import type { Db } from './database.js';
import type { ImageRecord } from './images-store.js';
import { resolveNamespace, resolveRepository } from './resolve.js';
import { tagsOf } from './tags-of.js';
import { liveAttachmentsOf } from './live-attachments.js';
import { engineOf } from './store-handle.js';

/**
 * One manifest of a repository as its details page shows it: what it holds, what holds it,
 * what refers to it, and what the audit log says happened to it.
 */
export interface ImageDetailsRecord {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  manifestSize: number;
  sizeBytes: number;
  createdAt: number | null;
  pushedAt: number;
  content: Uint8Array | null;
  tags: string[];
  children: {
    digest: string;
    mediaType: string;
    sizeBytes: number;
    os: string | null;
    architecture: string | null;
    variant: string | null;
  }[];
  parents: { digest: string; relation: 'platform-of' | 'refers-to'; tags: string[] }[];
  /** As the images list gives them, with their size and times. */
  referrers: (ImageRecord['referrers'][number] & {
    sizeBytes: number;
    createdAt: number | null;
    pushedAt: number;
  })[];
}

export interface ImageTimelineRecord {
  at: number;
  actor: string;
  action: string;
  outcome: 'success' | 'failure';
  tags: string[];
  reason: string | null;
  requestId: string | null;
}

/**
 * How many of the newest entries of each audited image action the timeline looks through.
 * The audit log names images inside JSON details, which no index reaches; the bound keeps one
 * page view from reading a whole busy log (an image deleted and restored long ago, before
 * thousands of other deletes, then shows only its later entries).
 */
export const TIMELINE_SCAN = 5000;

type AuditRow = {
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  details: string | null;
  request_id: string | null;
};

function parseDetails(row: AuditRow): Record<string, unknown> {
  try {
    const value: unknown = row.details ? JSON.parse(row.details) : null;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const stringsOf = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

export function createImageDetailsStore(db: Db) {
  async function liveManifest(namespace: string, repository: string, digest: string) {
    const ns = await resolveNamespace(db, namespace);
    const repo = await resolveRepository(db, ns, repository);
    const row = await db
      .selectFrom('manifests')
      .select([
        'id',
        'digest',
        'media_type',
        'artifact_type',
        'manifest_size',
        'size_bytes',
        'created_at',
        'pushed_at',
        'subject_digest',
        'signs_digest',
        'state',
      ])
      .where('repository_id', '=', repo.id)
      .where('digest', '=', digest)
      .executeTakeFirst();
    const full = `${namespace}/${repository}`;
    if (!row) {
      throw new NotFoundError('IMAGE_UNKNOWN', `image ${digest} does not exist in ${full}`);
    }
    if (row.state !== 'live') {
      throw new NotFoundError(
        'IMAGE_IN_TRASH',
        `image ${digest} of ${full} is in the trash; restore it to see its details`,
      );
    }
    return { repo, row };
  }

  return {
    async find(namespace: string, repository: string, digest: string) {
      const { repo, row } = await liveManifest(namespace, repository, digest);
      const { content } = await db
        .selectFrom('manifests')
        .select('content')
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      const children = await db
        .selectFrom('manifest_children')
        .innerJoin('manifests', 'manifests.id', 'manifest_children.child_id')
        .select([
          'manifests.digest',
          'manifests.media_type',
          'manifests.size_bytes',
          'manifests.platform_os',
          'manifests.platform_architecture',
          'manifests.platform_variant',
        ])
        .where('manifest_children.parent_id', '=', row.id)
        .orderBy('manifest_children.position')
        .execute();
      const indexes = await db
        .selectFrom('manifest_children')
        .innerJoin('manifests', 'manifests.id', 'manifest_children.parent_id')
        .select(['manifests.id', 'manifests.digest'])
        .where('manifest_children.child_id', '=', row.id)
        .where('manifests.state', '=', 'live')
        .orderBy('manifests.pushed_at')
        .execute();
      // A referrer names its subject, a cosign tag signature the image it signs.
      const subjectDigest = row.subject_digest ?? row.signs_digest;
      const subject = subjectDigest
        ? await db
            .selectFrom('manifests')
            .select(['id', 'digest'])
            .where('repository_id', '=', repo.id)
            .where('digest', '=', subjectDigest)
            .where('state', '=', 'live')
            .executeTakeFirst()
        : undefined;
      const refRows = await liveAttachmentsOf(db, repo.id, [digest]);
      const tags = await tagsOf(db, [
        row.id,
        ...indexes.map((i) => i.id),
        ...(subject ? [subject.id] : []),
        ...refRows.map((r) => r.id),
      ]);
      return {
        digest: row.digest,
        mediaType: row.media_type,
        artifactType: row.artifact_type,
        manifestSize: row.manifest_size,
        sizeBytes: row.size_bytes,
        createdAt: row.created_at,
        pushedAt: row.pushed_at,
        content,
        tags: tags.get(row.id) ?? [],
        children: children.map((c) => ({
          digest: c.digest,
          mediaType: c.media_type,
          sizeBytes: c.size_bytes,
          os: c.platform_os,
          architecture: c.platform_architecture,
          variant: c.platform_variant,
        })),
        parents: [
          ...indexes.map((i) => ({
            digest: i.digest,
            relation: 'platform-of' as const,
            tags: tags.get(i.id) ?? [],
          })),
          ...(subject
            ? [
                {
                  digest: subject.digest,
                  relation: 'refers-to' as const,
                  tags: tags.get(subject.id) ?? [],
                },
              ]
            : []),
        ],
        referrers: refRows.map((r) => {
          // A manifest with a subject is a referrer, whatever tag it also carries.
          const tagSignature = r.subject_digest === null;
          return {
            digest: r.digest,
            artifactType: r.artifact_type,
            mediaType: r.media_type,
            kind: tagSignature ? ('tag-signature' as const) : ('referrer' as const),
            type: tagSignature
              ? ((r.signs_kind as TagSignatureKind | null) ?? null)
              : referrerTypeOf(r.artifact_type),
            tags: tags.get(r.id) ?? [],
            sizeBytes: r.manifest_size,
            createdAt: r.created_at,
            pushedAt: r.pushed_at,
          };
        }),
      } satisfies ImageDetailsRecord;
    },

    /** The exact bytes as pushed, for viewing and copying (null only for synthetic rows). */
    async manifest(namespace: string, repository: string, digest: string) {
      const { row } = await liveManifest(namespace, repository, digest);
      const { content } = await db
        .selectFrom('manifests')
        .select('content')
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      return { mediaType: row.media_type, content };
    },

    /**
     * Audit entries about one image of a repository since `since` (its push), newest first:
     * its deletes (which name it in their details), restores (by target) and tag removals.
     * Bulk deletes and restores record counts, not digests, so they cannot be listed here.
     */
    async timeline(
      namespace: string,
      repository: string,
      digest: string,
      since: number,
      limit: number,
    ): Promise<{ entries: ImageTimelineRecord[]; truncated: boolean }> {
      const recent = (action: string) =>
        db
          .selectFrom('audit_events')
          .select(['at', 'id', 'actor', 'action', 'target', 'outcome', 'details', 'request_id'])
          .where('action', '=', action)
          .where('at', '>=', since)
          .orderBy('at', 'desc')
          .limit(TIMELINE_SCAN)
          .as('recent');
      // The position of a substring: SQLite's instr is PostgreSQL's strpos (same arguments).
      const position = engineOf(db) === 'postgres' ? 'strpos' : 'instr';
      const inDetails = (action: string, target: { eq: string } | { prefix: string }) => {
        let qb = db
          .selectFrom(recent(action))
          .selectAll()
          .where((eb) => eb(eb.fn(position, ['details', eb.val(digest)]), '>', 0));
        qb =
          'eq' in target
            ? qb.where('target', '=', target.eq)
            : qb
                .where('target', '>=', target.prefix)
                .where('target', '<', `${target.prefix}\uffff`);
        return qb
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit + 1)
          .execute();
      };
      const full = `${namespace}/${repository}`;
      const [deletes, restores, untags] = await Promise.all([
        inDetails('image.delete', { eq: namespace }),
        db
          .selectFrom(recent('image.restore'))
          .selectAll()
          .where('target', '=', `${full}@${digest}`)
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit + 1)
          .execute(),
        inDetails('tag.delete', { prefix: `${full}:` }),
      ]);
      const entries: (ImageTimelineRecord & { id: number })[] = [];
      const add = (row: AuditRow & { id: number }, tags: string[], reason: string | null) =>
        entries.push({
          id: row.id,
          at: row.at,
          actor: row.actor,
          action: row.action,
          outcome: row.outcome === 'failure' ? 'failure' : 'success',
          tags,
          reason,
          requestId: row.request_id,
        });
      for (const row of deletes) {
        const details = parseDetails(row);
        const images = Array.isArray(details.images) ? details.images : [];
        // The digest may also be in another repository of the namespace: only this one counts.
        const image = images.find(
          (i): i is Record<string, unknown> =>
            typeof i === 'object' &&
            i !== null &&
            i.repository === repository &&
            i.digest === digest,
        );
        if (image) {
          add(
            row,
            stringsOf(image.tags),
            typeof details.reason === 'string' ? details.reason : null,
          );
        }
      }
      for (const row of restores) add(row, stringsOf(parseDetails(row).tags), null);
      for (const row of untags) {
        if (parseDetails(row).digest === digest)
          add(row, [row.target.slice(full.length + 1)], null);
      }
      entries.sort((a, b) => b.at - a.at || b.id - a.id);
      return {
        entries: entries.slice(0, limit).map(({ id: _id, ...entry }) => entry),
        truncated: entries.length > limit,
      };
    },
  };
}
