import { type SqlBool, sql } from 'kysely';
import { MANIFEST_MEDIA_TYPES } from '@berth/domain';
import type { Db } from '../database.js';
import { chunks } from '../blob-reclaim.js';
import { engineOf } from '../store-handle.js';

/**
 * Of manifests aliased `m`: not one of BuildKit's attestation manifests (platform
 * unknown/unknown, in-toto statements as layers), which describe a platform and have no
 * filesystem of their own to scan.
 */
const NOT_AN_ATTESTATION = sql<SqlBool>`coalesce(m.platform_os, '') <> 'unknown'`;

/** An image a process has claimed to scan, with what the scan reads of it. */
export interface ClaimedScan {
  manifestId: number;
  namespace: string;
  repository: string;
  digest: string;
  mediaType: string;
  /** The manifest's bytes (null only for synthetic benchmark rows: nothing to scan). */
  content: Uint8Array | null;
  live: boolean;
  /** Claims of this request so far, this one included. */
  attempts: number;
}

export interface ScannedImage {
  manifestId: number;
  digest: string;
  live: boolean;
  /** An index's platform images, in its order; empty for an image. */
  platforms: { manifestId: number; digest: string; platform: string | null }[];
}

export interface ScanFindingRow {
  /** The package's place in the inventory. */
  package: number;
  advisoryId: string;
  severity: string;
  score: number | null;
  fixed: string | null;
  summary: string;
}

export interface ScanCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
  fixable: number;
}

export interface NewScanResult extends ScanCounts {
  status: 'complete' | 'failed';
  error: string | null;
  distro: string | null;
  /** The inventory, stored as JSON: a re-match reads it, not the layers. */
  inventory: StoredInventoryJson;
  findings: ScanFindingRow[];
  /** What the scan could not read, in words (a database too large to keep, say). */
  notes?: string[];
}

export interface StoredInventoryJson {
  distro: unknown;
  packages: unknown[];
}

export interface ScanResultRecord extends ScanCounts {
  id: number;
  manifestId: number;
  namespace: string;
  repository: string;
  digest: string;
  generatedAt: number;
  expiresAt: number;
  status: 'complete' | 'failed';
  error: string | null;
  distro: string | null;
  packages: number;
  notes: string[];
}

export interface FindingsQuery {
  severity?: string;
  /** Part of a package name or an advisory id, any case. */
  q?: string;
  offset: number;
  limit: number;
}

const resultColumns = [
  'id',
  'manifest_id',
  'namespace',
  'repository',
  'digest',
  'generated_at',
  'expires_at',
  'status',
  'error',
  'distro',
  'packages',
  'critical',
  'high',
  'medium',
  'low',
  'unknown',
  'fixable',
  'notes',
] as const;

type ResultRow = {
  [K in (typeof resultColumns)[number]]: unknown;
};

function toRecord(row: ResultRow): ScanResultRecord {
  const n = (v: unknown) => Number(v);
  return {
    id: n(row.id),
    manifestId: n(row.manifest_id),
    namespace: row.namespace as string,
    repository: row.repository as string,
    digest: row.digest as string,
    generatedAt: n(row.generated_at),
    expiresAt: n(row.expires_at),
    status: row.status as 'complete' | 'failed',
    error: row.error as string | null,
    distro: row.distro as string | null,
    packages: n(row.packages),
    critical: n(row.critical),
    high: n(row.high),
    medium: n(row.medium),
    low: n(row.low),
    unknown: n(row.unknown),
    fixable: n(row.fixable),
    notes: row.notes ? (JSON.parse(row.notes as string) as string[]) : [],
  };
}

/** The newest result of each of these images: manifest id → result (of that digest). */
export async function latestScanResults(
  db: Db,
  manifestIds: readonly number[],
): Promise<Map<number, ScanResultRecord>> {
  const found = new Map<number, ScanResultRecord>();
  for (const ids of chunks([...new Set(manifestIds)])) {
    const rows = await db
      .selectFrom('scan_results as s')
      .innerJoin('manifests as m', (j) =>
        j.onRef('m.id', '=', 's.manifest_id').onRef('m.digest', '=', 's.digest'),
      )
      .select(resultColumns.map((c) => `s.${c}` as const))
      .where('s.manifest_id', 'in', ids)
      .orderBy('s.generated_at')
      .orderBy('s.id')
      .execute();
    for (const row of rows) found.set(Number(row.manifest_id), toRecord(row));
  }
  return found;
}

/**
 * The scan queue and the results. The queue is a table so it survives restarts and is shared
 * by every process: a claim is a lease (claimed_until), taken with SKIP LOCKED on PostgreSQL
 * (SQLite has one writer), so one process scans an image; a claim whose process died runs out
 * and is taken again.
 */
export function createScansStore(db: Db) {
  return {
    /** Queues images for a scan; one already waiting keeps its place. */
    async request(manifestIds: readonly number[], reason: string, now: number): Promise<void> {
      for (const ids of chunks([...new Set(manifestIds)])) {
        await db
          .insertInto('scan_requests')
          .values(ids.map((id) => ({ manifest_id: id, requested_at: now, reason })))
          .onConflict((oc) => oc.column('manifest_id').doNothing())
          .execute();
      }
    },

    /** Claims up to `limit` waiting images for `leaseMs`, oldest request first. */
    async claim(
      owner: string,
      now: number,
      leaseMs: number,
      limit: number,
    ): Promise<ClaimedScan[]> {
      const waiting = db
        .selectFrom('scan_requests')
        .select('manifest_id')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .orderBy('requested_at')
        .orderBy('manifest_id')
        .limit(limit);
      const claimed = await db
        .updateTable('scan_requests')
        .set((eb) => ({
          claimed_by: owner,
          claimed_until: now + leaseMs,
          attempts: eb('attempts', '+', 1),
        }))
        .where(
          'manifest_id',
          'in',
          engineOf(db) === 'postgres' ? waiting.forUpdate().skipLocked() : waiting,
        )
        .returning(['manifest_id', 'attempts'])
        .execute();
      if (claimed.length === 0) return [];
      const attempts = new Map(claimed.map((c) => [Number(c.manifest_id), Number(c.attempts)]));
      const rows = await db
        .selectFrom('manifests as m')
        .innerJoin('repositories as r', 'r.id', 'm.repository_id')
        .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
        .select([
          'm.id',
          'm.digest',
          'm.media_type',
          'm.content',
          'm.state',
          'r.name as repository',
          'n.name as namespace',
        ])
        .where(
          'm.id',
          'in',
          claimed.map((c) => Number(c.manifest_id)),
        )
        .orderBy('m.id')
        .execute();
      return rows.map((r) => ({
        manifestId: Number(r.id),
        namespace: r.namespace,
        repository: r.repository,
        digest: r.digest,
        mediaType: r.media_type,
        content: r.content,
        live: r.state === 'live',
        attempts: attempts.get(Number(r.id)) ?? 1,
      }));
    },

    /**
     * Stores a scan's result and ends its request, together; false (nothing stored) when the
     * claim is no longer this process's: its lease ran out and another process has the image.
     */
    async finish(
      scan: ClaimedScan,
      owner: string,
      result: NewScanResult | null,
      now: number,
      keepMs: number,
    ): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const ended = await trx
          .deleteFrom('scan_requests')
          .where('manifest_id', '=', scan.manifestId)
          .where('claimed_by', '=', owner)
          .executeTakeFirst();
        if (Number(ended.numDeletedRows) === 0) return false;
        if (result) await insertResult(trx, scan, result, now, now + keepMs);
        return true;
      });
    },

    /**
     * Gives a claimed image back to the queue (a scan that could not run now), to be taken
     * again from `notBefore` on.
     */
    async release(manifestId: number, owner: string, notBefore: number | null = null) {
      await db
        .updateTable('scan_requests')
        .set({ claimed_by: null, claimed_until: notBefore })
        .where('manifest_id', '=', manifestId)
        .where('claimed_by', '=', owner)
        .execute();
    },

    /**
     * An image (live or in the trash) as scans see it, with its platform images when it is an
     * index: what a scan request queues and what a result is looked up by.
     */
    async image(
      namespace: string,
      repository: string,
      digest: string,
    ): Promise<ScannedImage | null> {
      const row = await db
        .selectFrom('manifests as m')
        .innerJoin('repositories as r', 'r.id', 'm.repository_id')
        .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
        .select(['m.id', 'm.digest', 'm.state'])
        .where('n.name', '=', namespace)
        .where('r.name', '=', repository)
        .where('m.digest', '=', digest)
        .executeTakeFirst();
      if (!row) return null;
      const children = await db
        .selectFrom('manifest_children as c')
        .innerJoin('manifests as m', 'm.id', 'c.child_id')
        .select([
          'm.id',
          'm.digest',
          'm.platform_os',
          'm.platform_architecture',
          'm.platform_variant',
        ])
        .where('c.parent_id', '=', row.id)
        .where(NOT_AN_ATTESTATION)
        .orderBy('c.position')
        .execute();
      return {
        manifestId: Number(row.id),
        digest: row.digest,
        live: row.state === 'live',
        platforms: children.map((c) => ({
          manifestId: Number(c.id),
          digest: c.digest,
          platform: c.platform_os
            ? [c.platform_os, c.platform_architecture, c.platform_variant].filter(Boolean).join('/')
            : null,
        })),
      };
    },

    /**
     * Queues at most `max` live images that have no scan result and wait for none: images
     * pushed before scanning existed, while scan-on-push was off, or restored from the trash
     * after their result expired. It looks at the `window` manifests after `afterId` (so a
     * call costs the same at a million images) and says where the next call goes on, or null
     * once the last manifest has been looked at.
     */
    async queueUnscanned(
      afterId: number,
      window: number,
      max: number,
      now: number,
    ): Promise<{ queued: number; next: number | null }> {
      const ids = await db
        .selectFrom('manifests')
        .select('id')
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(window)
        .execute();
      if (ids.length === 0) return { queued: 0, next: null };
      const last = Number(ids.at(-1)!.id);
      const unscanned = await db
        .selectFrom('manifests as m')
        .select('m.id')
        .where('m.id', '>', afterId)
        .where('m.id', '<=', last)
        .where('m.state', '=', 'live')
        // Images with a filesystem, as a push decides (artifacts have an artifact type).
        .where('m.media_type', 'in', [
          MANIFEST_MEDIA_TYPES.ociManifest,
          MANIFEST_MEDIA_TYPES.dockerManifest,
        ])
        .where('m.artifact_type', 'is', null)
        .where(NOT_AN_ATTESTATION)
        .where('m.content', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('scan_results as r')
                .select('r.id')
                .whereRef('r.manifest_id', '=', 'm.id')
                .whereRef('r.digest', '=', 'm.digest'),
            ),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('scan_requests as q')
                .select('q.manifest_id')
                .whereRef('q.manifest_id', '=', 'm.id'),
            ),
          ),
        )
        .orderBy('m.id')
        .limit(max)
        .execute();
      const queued = unscanned.map((r) => Number(r.id));
      await this.request(queued, 'backfill', now);
      // A full batch may have left images in this window: the next call goes on after it.
      if (queued.length === max) return { queued: queued.length, next: queued.at(-1)! };
      return { queued: queued.length, next: ids.length < window ? null : last };
    },

    /** Which of these images wait in the queue (or are being scanned). */
    async queuedOf(manifestIds: readonly number[]): Promise<Set<number>> {
      const queued = new Set<number>();
      for (const ids of chunks([...new Set(manifestIds)])) {
        const rows = await db
          .selectFrom('scan_requests')
          .select('manifest_id')
          .where('manifest_id', 'in', ids)
          .execute();
        for (const r of rows) queued.add(Number(r.manifest_id));
      }
      return queued;
    },

    /** The image's newest result, if any is kept. */
    async latest(manifestId: number, digest: string): Promise<ScanResultRecord | null> {
      const row = await db
        .selectFrom('scan_results')
        .select(resultColumns)
        .where('manifest_id', '=', manifestId)
        .where('digest', '=', digest)
        .orderBy('generated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** The newest result of each of these images (for lists): manifest id → result. */
    latestOf: (manifestIds: readonly number[]) => latestScanResults(db, manifestIds),

    /** A result's inventory, as stored. */
    async inventory(resultId: number): Promise<StoredInventoryJson | null> {
      const row = await db
        .selectFrom('scan_results')
        .select('inventory')
        .where('id', '=', resultId)
        .executeTakeFirst();
      return row ? (JSON.parse(row.inventory) as StoredInventoryJson) : null;
    },

    /** Whether any image waits in the queue or is being scanned. */
    async anyQueued(): Promise<boolean> {
      const row = await db
        .selectFrom('scan_requests')
        .select('manifest_id')
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** A result's findings, most severe first, then by advisory id and package. */
    async findings(
      resultId: number,
      query: FindingsQuery,
    ): Promise<{ items: ScanFindingRow[]; total: number }> {
      let base = db.selectFrom('scan_findings').where('result_id', '=', resultId);
      if (query.severity) base = base.where('severity', '=', query.severity);
      const rows = await base
        .select(['package', 'advisory_id', 'severity', 'score', 'fixed', 'summary'])
        .orderBy(
          sql`CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
            WHEN 'low' THEN 3 WHEN 'unknown' THEN 4 ELSE 5 END`,
        )
        .orderBy('advisory_id')
        .orderBy('package')
        .execute();
      // Names live in the inventory (JSON): a text search filters here, over one image's
      // findings (hundreds), not in SQL.
      let items = rows.map((r) => ({
        package: Number(r.package),
        advisoryId: r.advisory_id,
        severity: r.severity,
        score: r.score === null ? null : Number(r.score),
        fixed: r.fixed,
        summary: r.summary,
      }));
      if (query.q) {
        const q = query.q.toLowerCase();
        const packages = ((await this.inventory(resultId))?.packages ?? []) as { name?: string }[];
        items = items.filter(
          (f) =>
            f.advisoryId.toLowerCase().includes(q) ||
            (packages[f.package]?.name ?? '').toLowerCase().includes(q),
        );
      }
      return { items: items.slice(query.offset, query.offset + query.limit), total: items.length };
    },

    /** Deletes results whose time is up (contract: kept 30 days after they are generated). */
    async deleteExpired(now: number): Promise<number> {
      let deleted = 0;
      for (;;) {
        const ids = await db
          .selectFrom('scan_results')
          .select('id')
          .where('expires_at', '<=', now)
          .limit(500)
          .execute();
        if (ids.length === 0) return deleted;
        const batch = ids.map((r) => Number(r.id));
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('scan_findings').where('result_id', 'in', batch).execute();
          await trx.deleteFrom('scan_results').where('id', 'in', batch).execute();
        });
        deleted += batch.length;
      }
    },

    /**
     * Live images whose newest complete result is generated before `before` (or that have
     * none but were scanned before): what a re-match renews, a page at a time after `afterId`.
     */
    async liveResultsGeneratedBefore(
      before: number,
      afterId: number,
      limit: number,
    ): Promise<ScanResultRecord[]> {
      const rows = await db
        .selectFrom('scan_results as s')
        .innerJoin('manifests as m', (j) =>
          j.onRef('m.id', '=', 's.manifest_id').onRef('m.digest', '=', 's.digest'),
        )
        .select(resultColumns.map((c) => `s.${c}` as const))
        .where('m.state', '=', 'live')
        .where('s.status', '=', 'complete')
        .where('s.id', '>', afterId)
        .where('s.generated_at', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('scan_results as newer')
                .select('newer.id')
                .whereRef('newer.manifest_id', '=', 's.manifest_id')
                .whereRef('newer.digest', '=', 's.digest')
                .whereRef('newer.id', '>', 's.id'),
            ),
          ),
        )
        .orderBy('s.id')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    /** A re-match that found the same: the result counts as generated again at `now`. */
    async renew(resultId: number, now: number, expiresAt: number): Promise<void> {
      await db
        .updateTable('scan_results')
        .set({ generated_at: now, expires_at: expiresAt })
        .where('id', '=', resultId)
        .execute();
    },

    /** Stores a re-match of an earlier result's inventory as a new result. */
    async addResult(
      of: Pick<ClaimedScan, 'manifestId' | 'namespace' | 'repository' | 'digest'>,
      result: NewScanResult,
      now: number,
      keepMs: number,
    ): Promise<void> {
      await db.transaction().execute((trx) => insertResult(trx, of, result, now, now + keepMs));
    },
  };
}

async function insertResult(
  db: Db,
  of: Pick<ClaimedScan, 'manifestId' | 'namespace' | 'repository' | 'digest'>,
  result: NewScanResult,
  now: number,
  expiresAt: number,
): Promise<void> {
  const inserted = await db
    .insertInto('scan_results')
    .values({
      manifest_id: of.manifestId,
      namespace: of.namespace,
      repository: of.repository,
      digest: of.digest,
      generated_at: now,
      expires_at: expiresAt,
      status: result.status,
      error: result.error,
      distro: result.distro,
      packages: result.inventory.packages.length,
      critical: result.critical,
      high: result.high,
      medium: result.medium,
      low: result.low,
      unknown: result.unknown,
      fixable: result.fixable,
      inventory: JSON.stringify(result.inventory),
      notes: result.notes?.length ? JSON.stringify(result.notes) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  for (const batch of chunks(result.findings, 100)) {
    await db
      .insertInto('scan_findings')
      .values(
        batch.map((f) => ({
          result_id: id,
          package: f.package,
          advisory_id: f.advisoryId,
          severity: f.severity,
          score: f.score,
          fixed: f.fixed,
          summary: f.summary,
        })),
      )
      .execute();
  }
}

export type ScansStore = ReturnType<typeof createScansStore>;
