import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ConflictError,
  type ConfirmSkip,
  type CurrentDecision,
  type ImagePointer,
  NotFoundError,
  type RetentionReason,
  type RetentionRules,
  describeReason,
  describeSkip,
  nextDailyRun,
  planConfirmation,
} from '@berth/domain';
import { type Selectable, sql } from 'kysely';
import type { Db, RetentionPreviewsTable, RetentionRunsTable } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import { chunks } from '../blob-reclaim.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { resolveNamespace } from '../resolve.js';
import { engineOf } from '../store-handle.js';
import { listOf } from '../sql-lists.js';
import { tagsOf } from '../tags-of.js';
import { selectRepositories } from './evaluate.js';
import {
  type Counts,
  type PreviewPart,
  type PreviewRepository,
  buildPreviewPart,
  mergeParts,
} from './preview-builder.js';
import type { PreviewWorkerTask } from './preview-worker.js';
import { type ManifestIds, manifestsGoingWith, reclaimableBytes } from './reclaim.js';
import { PreviewCache } from './preview-cache.js';
import type { ReclaimWorkerTask } from './reclaim-worker.js';
import { workerAnswer } from './worker-answer.js';
import type { WorkerDatabase } from './worker-database.js';
import {
  DECISIONS,
  DECISION_CODES,
  type PreviewColumns,
  decodeColumns,
  encodeColumns,
} from './preview-codec.js';
import {
  LISTED_IN_RESULT,
  type RetentionRunParams,
  initialRunProgress,
} from './retention-run-operation.js';
import { appendOperationItemValues, createOperation } from '../operations/operations-store.js';
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface PolicySettings {
  rules: RetentionRules;
  enabled: boolean;
  dailyAt: string;
}

export interface PolicyRecord extends PolicySettings {
  nextRunAt: number | null;
  updatedAt: number;
  updatedBy: string;
}

export interface PreviewSummary {
  totals: Counts & { repositories: number; reclaimBytes: number };
  repositories: PreviewRepository[];
  protections: string[];
}

export interface PreviewRecord {
  id: string;
  namespace: string;
  rules: RetentionRules;
  createdAt: number;
  expiresAt: number;
  createdBy: string;
  runId: number | null;
  summary: PreviewSummary;
}

export interface PreviewItemRecord {
  repository: string;
  digest: string;
  tags: string[];
  createdAt: number | null;
  pushedAt: number;
  sizeBytes: number;
  decision: 'keep' | 'protected' | 'delete';
  reason: string;
  rank: number | null;
  state: 'unchanged' | 'changed' | 'gone';
}

export interface RunImage {
  repository: string;
  digest: string;
  tags: string[];
  sizeBytes: number;
}

export interface RunRecord {
  id: number;
  namespace: string;
  trigger: 'preview' | 'schedule';
  actor: string;
  previewId: string | null;
  rules: RetentionRules;
  status: RetentionRunsTable['status'];
  startedAt: number;
  finishedAt: number | null;
  scheduledFor: number | null;
  deletedImages: number;
  deletedBytes: number;
  reclaimBytes: number;
  skippedImages: number;
  inTrash: number;
  error: string | null;
}

export interface RunOutcome {
  run: RunRecord;
  deleted: RunImage[];
  skipped: (RunImage & { reason: string })[];
}

export interface PreviewItemsQuery {
  repository?: string;
  decision?: 'keep' | 'protected' | 'delete';
  offset: number;
  limit: number;
}

/**
 * Deletions recorded per transaction when a run starts: 50,000 (one JSON parameter) held the
 * write lock and the event loop for ~170 ms; 10,000 for a fifth of that.
 */
const ITEMS_PER_TRANSACTION = 10_000;
/** Images a confirmation's loops handle between two turns of the event loop. */
const SLICE = 20_000;

/** The scheduled run was taken over by another process (or ended) before it started. */
class RunNotOurs extends Error {}

async function markReady(db: Db, operationId: number): Promise<void> {
  await db
    .updateTable('operations')
    .set({ progress: JSON.stringify(initialRunProgress()) })
    .where('id', '=', operationId)
    .execute();
}
/** How long a scheduled run's claim holds before another process may take it over. */
export const RUN_LEASE_MS = 10 * 60 * 1000;

const DEFAULT_POLICY: PolicySettings = {
  rules: {
    keepCount: 10,
    retainUntagged: true,
    excludeTags: [],
    excludeRepositories: [],
    protectUnscannedDays: null,
  },
  enabled: false,
  dailyAt: '03:00',
};

/** A policy row's rules, as a preview, a run and the policy page use them. */
function policyRules(row: {
  keep_count: number;
  retain_untagged: number;
  exclude_tags: string;
  exclude_repositories: string;
  protect_unscanned_days: number | null;
}): RetentionRules {
  return {
    keepCount: row.keep_count,
    retainUntagged: row.retain_untagged === 1,
    excludeTags: JSON.parse(row.exclude_tags) as string[],
    excludeRepositories: JSON.parse(row.exclude_repositories) as string[],
    protectUnscannedDays:
      row.protect_unscanned_days === null ? null : Number(row.protect_unscanned_days),
  };
}

/** Rules stored with a preview or a run; those stored before the scan protection lack it. */
function parseRules(json: string): RetentionRules {
  const rules = JSON.parse(json) as RetentionRules;
  return { ...rules, protectUnscannedDays: rules.protectUnscannedDays ?? null };
}

function reasonFor(
  decision: number,
  rank: number,
  protection: number,
  rules: RetentionRules,
  protections: readonly string[],
): string {
  const name = DECISIONS[decision];
  if (name === 'protected') return protections[protection - 1] ?? 'protected';
  const reason: RetentionReason =
    name === 'delete'
      ? { code: 'beyond-keep', rank, keepCount: rules.keepCount }
      : rank === 0
        ? { code: 'untagged-retained' }
        : { code: 'rank', rank, keepCount: rules.keepCount };
  return describeReason(reason);
}

export interface RetentionStoreOptions {
  /** The SQLite file, for the worker threads that evaluate large previews. */
  file?: string;
  /**
   * The PostgreSQL database's URL, for the same worker threads (each opens one read-only
   * connection): the queries run on the server either way, but deciding 100,000 images and
   * decoding their columns is JavaScript that would hold the event loop.
   */
  postgresUrl?: string;
  /**
   * From this many images in the namespace a preview is evaluated on worker threads, never on
   * the thread that answers requests (a 100,000-image repository is one step of the rules of
   * ~0.3 s); below it, on that thread in steps of a few milliseconds. A worker costs ~50 ms.
   */
  workerMinImages?: number;
  /**
   * Memory for the decisions of recent previews (PreviewCache); 48 MiB by default, two
   * previews of a million images.
   */
  previewCacheBytes?: number;
  /** From this many images, two workers each take half of the repositories. */
  parallelMinImages?: number;
  /**
   * A worker that failed (could not start, ran out of its memory bound): the preview is then
   * evaluated on the main thread, which answers nothing else meanwhile. For the log.
   */
  onWorkerFailure?: (err: unknown) => void;
}

const WORKER_SCRIPT = new URL('./preview-worker.js', import.meta.url);
const RECLAIM_SCRIPT = new URL('./reclaim-worker.js', import.meta.url);

async function requireRun(db: Db, ns: { id: number; name: string }, runId: number) {
  const run = await db
    .selectFrom('retention_runs')
    .select(['id', 'deleted_images'])
    .where('id', '=', runId)
    .where('namespace_id', '=', ns.id)
    .executeTakeFirst();
  if (!run) {
    throw new NotFoundError('RUN_UNKNOWN', `namespace "${ns.name}" has no retention run ${runId}`);
  }
  return run;
}

export function createRetentionStore(db: Db, options: RetentionStoreOptions = {}) {
  /**
   * A large namespace is evaluated on worker threads, each with its own read-only connection,
   * so the main thread keeps answering pulls and pages; two cores evaluate a very large one
   * twice as fast, each worker taking the repositories on one side of a name that splits the
   * images in half.
   */
  async function evaluatePreview(
    namespaceId: number,
    rules: RetentionRules,
    pointers: readonly ImagePointer[],
    evaluatedAt: number,
    ids?: ReadonlySet<number>,
  ): Promise<PreviewPart> {
    const repositories = await selectRepositories(db, namespaceId, ids ? { ids } : {});
    const total = repositories.reduce((s, r) => s + r.image_count, 0);
    const onMainThread = () =>
      buildPreviewPart(db, namespaceId, rules, pointers, ids ? { ids } : {}, total, evaluatedAt);
    return onWorkerOr(WORKER_SCRIPT, total, onMainThread, async (database) => {
      const base = {
        database,
        namespaceId,
        rules,
        pointers: [...pointers],
        evaluatedAt,
        ...(ids ? { ids: [...ids] } : {}),
      };
      let tasks: PreviewWorkerTask[] = [{ ...base, expectedImages: total }];
      if (total >= (options.parallelMinImages ?? 100_000)) {
        let first = 0;
        let split = 0;
        while (split < repositories.length - 1 && first < total / 2) {
          first += repositories[split]?.image_count ?? 0;
          split++;
        }
        const splitName = repositories[split]?.name ?? '';
        tasks = [
          { ...base, nameTo: splitName, expectedImages: first },
          { ...base, nameFrom: splitName, expectedImages: total - first },
        ];
      }
      // One worker failing ends the other: the preview is then decided on this thread.
      const stop = new AbortController();
      const parts = await Promise.all(
        tasks.map((task) =>
          workerAnswer<{ part: PreviewPart }>(
            WORKER_SCRIPT,
            {
              workerData: task,
              // Its columns plus one batch of rows; a bound keeps the process under its memory budget.
              resourceLimits: {
                maxOldGenerationSizeMb: 96 + Math.ceil((task.expectedImages * 64) / 1048576),
              },
            },
            stop.signal,
          ),
        ),
      ).catch((err: unknown) => {
        stop.abort();
        throw err;
      });
      return mergeParts(parts.map((p) => p.part));
    });
  }

  /**
   * reclaimableBytes of a large set on a worker thread with its own read-only connection: its
   * check of a blob the whole set shares is one statement of tens of milliseconds, which held
   * pulls up on the main thread.
   */
  async function reclaimOffThread(manifests: ManifestIds): Promise<number> {
    const onMainThread = () => reclaimableBytes(db, manifests);
    return onWorkerOr(RECLAIM_SCRIPT, manifests.length, onMainThread, async (database) => {
      // A copy of its own to hand over: the caller's packed column stays usable.
      const task: ReclaimWorkerTask = { database, manifests: new Float64Array(manifests) };
      const answer = await workerAnswer<{ bytes: number }>(RECLAIM_SCRIPT, {
        workerData: task,
        transferList: [task.manifests.buffer as ArrayBuffer],
      });
      return answer.bytes;
    });
  }

  /**
   * Work of `images` images done on worker threads when it is large (and the built worker
   * script is there), on this thread otherwise. A worker that fails (could not start, ran out
   * of its memory bound) costs time, not the answer: it is reported and this thread does it.
   */
  async function onWorkerOr<T>(
    script: URL,
    images: number,
    onMainThread: () => Promise<T>,
    onWorkers: (database: WorkerDatabase) => Promise<T>,
  ): Promise<T> {
    const database: WorkerDatabase | null = options.postgresUrl
      ? { postgresUrl: options.postgresUrl }
      : options.file
        ? { sqliteFile: options.file }
        : null;
    if (
      !database ||
      images < (options.workerMinImages ?? 10_000) ||
      !fs.existsSync(fileURLToPath(script))
    ) {
      return onMainThread();
    }
    try {
      return await onWorkers(database);
    } catch (err) {
      options.onWorkerFailure?.(err);
      return onMainThread();
    }
  }

  const keptPreviews = new PreviewCache<PreviewSummary>(
    options.previewCacheBytes ?? 48 * 1024 * 1024,
  );

  /** Gone between two reads of its row: as if it had been before the first. */
  const purgedMeanwhile = (id: string) =>
    new NotFoundError('PREVIEW_UNKNOWN', `retention preview ${id} no longer exists`);

  /**
   * A preview of the namespace, read from its row; its summary (1.4 MB of JSON for 10,000
   * repositories) is read and parsed once per process (see PreviewCache).
   */
  async function loadPreview(trx: Db, namespace: string, id: string) {
    const ns = await resolveNamespace(trx, namespace);
    const row = await trx
      .selectFrom('retention_previews')
      .select(['id', 'rules', 'created_at', 'expires_at', 'created_by', 'run_id'])
      .where('id', '=', id)
      .where('namespace_id', '=', ns.id)
      .executeTakeFirst();
    if (!row) {
      throw new NotFoundError(
        'PREVIEW_UNKNOWN',
        `namespace "${namespace}" has no retention preview ${id}; previews are kept for a day after they expire`,
      );
    }
    let summary = keptPreviews.get(id)?.summary;
    if (!summary) {
      const stored = await trx
        .selectFrom('retention_previews')
        .select('summary')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!stored) throw purgedMeanwhile(id);
      summary = JSON.parse(stored.summary) as PreviewSummary;
      keptPreviews.keep(id, { summary, summaryBytes: stored.summary.length });
    }
    return { ns, row, preview: toPreviewRecord(namespace, row, summary) };
  }

  /**
   * The decisions of a preview whose row was just read, decoded once per process (see
   * PreviewCache). PostgreSQL sends them as base64 text: a bytea comes as hex, twice its size,
   * and 21 MB of hex took twice as long to read.
   */
  async function decisionsOf(id: string): Promise<PreviewColumns> {
    const kept = keptPreviews.get(id)?.columns;
    if (kept) return kept;
    const row = await db
      .selectFrom('retention_previews')
      .select(
        engineOf(db) === 'postgres'
          ? sql<string | Uint8Array>`encode(items, 'base64')`.as('items')
          : 'items',
      )
      .where('id', '=', id)
      .executeTakeFirst();
    const stored = typeof row?.items === 'string' ? Buffer.from(row.items, 'base64') : row?.items;
    if (!stored) throw purgedMeanwhile(id);
    const { columns } = decodeColumns(stored);
    keptPreviews.keep(id, { columns });
    return columns;
  }

  function toPreviewRecord(
    namespace: string,
    row: Omit<RetentionPreviewsTable, 'namespace_id' | 'items' | 'summary'>,
    summary: PreviewSummary,
  ): PreviewRecord {
    return {
      id: row.id,
      namespace,
      rules: parseRules(row.rules),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      createdBy: row.created_by,
      runId: row.run_id,
      summary,
    };
  }

  async function runView(
    trx: Db,
    namespace: string,
    row: Selectable<RetentionRunsTable>,
  ): Promise<RunRecord> {
    const inTrash = await trx
      .selectFrom('trash_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('retention_run_id', '=', row.id)
      .executeTakeFirstOrThrow();
    return {
      id: row.id,
      namespace,
      trigger: row.trigger,
      actor: row.actor,
      previewId: row.preview_id,
      rules: parseRules(row.rules),
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      scheduledFor: row.scheduled_for,
      deletedImages: row.deleted_images,
      deletedBytes: row.deleted_bytes,
      reclaimBytes: row.reclaim_bytes,
      skippedImages: row.skipped_images,
      inTrash: Number(inTrash.n),
      error: row.error,
    };
  }

  /** What the result page says about images skipped when the run was decided. */
  async function describeSkipped(
    skipped: readonly { key: number; skip: ConfirmSkip; repository: string }[],
  ): Promise<{ skipped: (RunImage & { reason: string })[]; skippedCount: number }> {
    const listed = skipped.slice(0, LISTED_IN_RESULT);
    const rows = await db
      .selectFrom('manifests')
      .select(['id', 'digest', 'size_bytes'])
      .where(
        'id',
        'in',
        listOf(
          db,
          listed.map((s) => s.key),
        ),
      )
      .execute();
    const byId = new Map(rows.map((m) => [m.id, m]));
    const tags = await tagsOf(
      db,
      listed.map((s) => s.key),
    );
    return {
      skipped: listed.map((s) => ({
        repository: s.repository,
        digest: byId.get(s.key)?.digest ?? '',
        tags: tags.get(s.key) ?? [],
        sizeBytes: byId.get(s.key)?.size_bytes ?? 0,
        reason: describeSkip(s.skip),
      })),
      skippedCount: skipped.length,
    };
  }

  /**
   * Records a run (a new row for a confirm, or the claimed scheduled one) and its operation
   * with its deletions. The first part of the set goes in with the operation; the rest in
   * transactions of their own (a set of 900,000 in one would hold the write lock for
   * seconds), and only then is the operation ready to run: one interrupted before that fails
   * at its first chunk, having deleted nothing.
   */
  async function startRun(
    ns: { id: number; name: string },
    run:
      | number
      | Pick<
          RetentionRunsTable,
          'trigger' | 'actor' | 'preview_id' | 'rules' | 'scheduled_for' | 'started_at'
        >,
    deletions: readonly { itemId: number; revision: number }[],
    params: Omit<RetentionRunParams, 'runId'>,
    ctx: ActionContext,
    claim: { owner: string; leaseMs: number },
    check: (trx: Db) => Promise<void>,
  ): Promise<number> {
    const parts = chunks(deletions, ITEMS_PER_TRANSACTION);
    const id = await db.transaction().execute(async (trx) => {
      await check(trx);
      let runId: number;
      if (typeof run === 'number') {
        runId = run;
      } else {
        const inserted = await trx
          .insertInto('retention_runs')
          .values({
            namespace_id: ns.id,
            ...run,
            status: 'running',
            claimed_by: null,
            lease_until: null,
            finished_at: null,
            details: null,
            error: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        runId = inserted.id;
        if (run.preview_id !== null) {
          await trx
            .updateTable('retention_previews')
            .set({ run_id: runId })
            .where('id', '=', run.preview_id)
            .execute();
        }
      }
      const opId = await createOperation(trx, {
        kind: 'retention.confirm',
        namespace: ns.name,
        namespaceId: ns.id,
        target: `retention run ${runId}`,
        actor: ctx.actor,
        params: { ...params, runId } satisfies RetentionRunParams,
        now: ctx.now,
        ...claim,
      });
      await appendOperationItemValues(trx, opId, parts[0] ?? []);
      if (parts.length <= 1) await markReady(trx, opId);
      return opId;
    });
    if (parts.length > 1) {
      for (const part of parts.slice(1)) {
        await db.transaction().execute((trx) => appendOperationItemValues(trx, id, part));
        await nextTurn();
      }
      await markReady(db, id);
    }
    return id;
  }

  async function outcomeOf(trx: Db, namespace: string, runId: number): Promise<RunOutcome> {
    const row = await trx
      .selectFrom('retention_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const details = row.details
      ? (JSON.parse(row.details) as {
          deleted: RunImage[];
          skipped: (RunImage & { reason: string })[];
        })
      : { deleted: [], skipped: [] };
    return { run: await runView(trx, namespace, row), ...details };
  }

  async function loadDecoded(namespace: string, id: string) {
    const { preview } = await loadPreview(db, namespace, id);
    return { preview, columns: await decisionsOf(id) };
  }

  /** A page of a preview's decisions, with the images as they are now. */
  async function previewItems(
    namespace: string,
    id: string,
    query: PreviewItemsQuery,
  ): Promise<{ items: PreviewItemRecord[]; nextOffset: number | null }> {
    return pageOf(namespace, await loadDecoded(namespace, id), query);
  }

  async function pageOf(
    namespace: string,
    { preview, columns }: Awaited<ReturnType<typeof loadDecoded>>,
    query: PreviewItemsQuery,
  ): Promise<{ items: PreviewItemRecord[]; nextOffset: number | null }> {
    const repos = preview.summary.repositories;
    const scope =
      query.repository === undefined ? repos : repos.filter((r) => r.name === query.repository);
    if (query.repository !== undefined && scope.length === 0) {
      throw new NotFoundError(
        'REPOSITORY_UNKNOWN',
        `the preview holds no images of repository "${query.repository}" in ${namespace}`,
      );
    }
    const wanted = query.decision === undefined ? null : DECISION_CODES[query.decision];
    const picked: { index: number; repository: string }[] = [];
    let nextOffset: number | null = null;
    // Offsets are positions in the packed columns; filtering skips without counting.
    outer: for (const r of scope) {
      const from = Math.max(r.offset, query.offset);
      for (let i = from; i < r.offset + r.count; i++) {
        if (wanted !== null && columns.decisions[i] !== wanted) continue;
        if (picked.length === query.limit) {
          nextOffset = i;
          break outer;
        }
        picked.push({ index: i, repository: r.name });
      }
    }
    const ids = picked.map((p) => columns.manifestIds[p.index] as number);
    const rows = new Map<
      number,
      {
        digest: string;
        created_at: number | null;
        pushed_at: number;
        size_bytes: number;
        revision: number;
        state: string;
      }
    >();
    for (const chunk of chunks(ids)) {
      for (const m of await db
        .selectFrom('manifests')
        .select(['id', 'digest', 'created_at', 'pushed_at', 'size_bytes', 'revision', 'state'])
        .where('id', 'in', chunk)
        .execute()) {
        rows.set(m.id, m);
      }
    }
    const tags = await tagsOf(db, ids);
    const items = picked.flatMap(({ index, repository }): PreviewItemRecord[] => {
      const manifestId = columns.manifestIds[index] as number;
      const m = rows.get(manifestId);
      if (!m) return [];
      const decision = columns.decisions[index] as number;
      const rank = columns.ranks[index] as number;
      return [
        {
          repository,
          digest: m.digest,
          tags: tags.get(manifestId) ?? [],
          createdAt: m.created_at,
          pushedAt: m.pushed_at,
          sizeBytes: m.size_bytes,
          decision: DECISIONS[decision] ?? 'keep',
          reason: reasonFor(
            decision,
            rank,
            columns.protections[index] as number,
            preview.rules,
            preview.summary.protections,
          ),
          rank: rank === 0 ? null : rank,
          state:
            m.state !== 'live'
              ? 'gone'
              : m.revision !== columns.revisions[index]
                ? 'changed'
                : 'unchanged',
        },
      ];
    });
    return { items, nextOffset };
  }

  return {
    async getPolicy(namespace: string): Promise<PolicyRecord | null> {
      const ns = await resolveNamespace(db, namespace);
      const row = await db
        .selectFrom('retention_policies')
        .selectAll()
        .where('namespace_id', '=', ns.id)
        .executeTakeFirst();
      if (!row) return null;
      return {
        rules: policyRules(row),
        enabled: row.enabled === 1,
        dailyAt: row.daily_at,
        nextRunAt: row.next_run_at,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      };
    },

    defaultPolicy: (): PolicySettings => structuredClone(DEFAULT_POLICY),

    /** Saving schedules the next run at the next occurrence of the daily time. */
    async savePolicy(namespace: string, policy: PolicySettings, ctx: ActionContext) {
      await db.transaction().execute(async (trx) => {
        const ns = await resolveNamespace(trx, namespace);
        const values = {
          keep_count: policy.rules.keepCount,
          retain_untagged: policy.rules.retainUntagged ? 1 : 0,
          exclude_tags: JSON.stringify(policy.rules.excludeTags),
          exclude_repositories: JSON.stringify(policy.rules.excludeRepositories),
          protect_unscanned_days: policy.rules.protectUnscannedDays ?? null,
          enabled: policy.enabled ? 1 : 0,
          daily_at: policy.dailyAt,
          next_run_at: policy.enabled ? nextDailyRun(ctx.now, policy.dailyAt) : null,
          updated_at: ctx.now,
          updated_by: ctx.actor,
        };
        await trx
          .insertInto('retention_policies')
          .values({ namespace_id: ns.id, ...values })
          .onConflict((oc) => oc.column('namespace_id').doUpdateSet(values))
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'retention.policy.update',
          target: namespace,
          outcome: 'success',
          details: { ...policy.rules, enabled: policy.enabled, dailyAt: policy.dailyAt },
        });
      });
    },

    /**
     * Decides every image of the namespace and stores the decisions, so the preview can be
     * paged, downloaded and confirmed exactly. Writes nothing but the preview row.
     */
    async createPreview(
      namespace: string,
      rules: RetentionRules,
      pointers: readonly ImagePointer[],
      ctx: ActionContext,
      ttlMs: number,
    ): Promise<PreviewRecord> {
      const ns = await resolveNamespace(db, namespace);
      const part = await evaluatePreview(ns.id, rules, pointers, ctx.now);
      const totals = { images: 0, keep: 0, protected: 0, delete: 0, deleteBytes: 0 };
      for (const r of part.repositories) {
        for (const key of ['images', 'keep', 'protected', 'delete', 'deleteBytes'] as const) {
          totals[key] += r[key];
        }
      }
      const repositories = part.repositories;
      const protections = part.protections;
      const reclaimBytes = await reclaimOffThread(
        await manifestsGoingWith(db, ns.id, part.deleting),
      );
      const columns = part.columns;
      const count = part.count;
      const summary: PreviewSummary = {
        totals: { ...totals, repositories: repositories.length, reclaimBytes },
        repositories,
        protections,
      };
      const row = {
        id: randomUUID(),
        namespace_id: ns.id,
        rules: JSON.stringify(rules),
        created_at: ctx.now,
        expires_at: ctx.now + ttlMs,
        created_by: ctx.actor,
        run_id: null,
        summary: JSON.stringify(summary),
        items: encodeColumns(columns, count),
      };
      await db.insertInto('retention_previews').values(row).execute();
      // A copy of its own: what is kept must not change with the caller's record.
      keptPreviews.keep(row.id, {
        columns,
        summary: JSON.parse(row.summary) as PreviewSummary,
        summaryBytes: row.summary.length,
      });
      return toPreviewRecord(namespace, row, summary);
    },

    async getPreview(namespace: string, id: string): Promise<PreviewRecord> {
      return (await loadPreview(db, namespace, id)).preview;
    },

    previewItems,

    /**
     * Confirms a preview: the previewed deletions that nothing touched since and that the
     * rules still delete (applied to the repositories as they are now, read outside any write
     * transaction) become a retention run worked as an operation: its set is fixed here with
     * the revision each image had, and chunks trash those still unchanged. Everything else is
     * reported as skipped. Returns the operation, claimed by `claim.owner`.
     */
    async confirm(
      namespace: string,
      previewId: string,
      pointers: readonly ImagePointer[],
      ctx: ActionContext,
      claim: { owner: string; leaseMs: number },
    ): Promise<number> {
      const { ns, row, preview } = await loadPreview(db, namespace, previewId);
      const refuseConfirmed = (runId: number | null) => {
        if (runId !== null) {
          throw new ConflictError(
            'PREVIEW_ALREADY_CONFIRMED',
            `this preview was confirmed already (retention run ${runId}); make a new preview to run again`,
            { runId: String(runId) },
          );
        }
        if (row.expires_at <= ctx.now) {
          throw new ConflictError(
            'PREVIEW_EXPIRED',
            'this preview has expired; make a new preview so the confirmation deletes only what you have seen',
          );
        }
      };
      refuseConfirmed(row.run_id);
      const columns = await decisionsOf(previewId);
      await nextTurn();
      // Held for the whole confirmation, so kept small (at ~900,000 images they were most of
      // the server's memory): of each previewed deletion its key, its revision and its
      // repository's one shared record.
      const previewed: { key: number; revision: number; repository: PreviewRepository }[] = [];
      const affected = new Set<number>();
      // Every loop over the preview's images gives other requests a turn every SLICE images:
      // ~100,000 of them in one go held the event loop for 50-80 ms per step.
      let sinceTurn = 0;
      for (const r of preview.summary.repositories) {
        if (r.delete === 0) continue;
        affected.add(r.id);
        for (let i = r.offset; i < r.offset + r.count; i++) {
          if (columns.decisions[i] !== DECISION_CODES.delete) continue;
          previewed.push({
            key: columns.manifestIds[i] as number,
            revision: columns.revisions[i] as number,
            repository: r,
          });
        }
        sinceTurn += r.count;
        if (sinceTurn >= SLICE) {
          sinceTurn = 0;
          await nextTurn();
        }
      }
      // The rules applied again to the affected repositories as they are now, decided as a
      // preview is (on worker threads when they are large), into packed columns.
      // At the confirmation's time: an image whose scan has grown stale since is now protected.
      const now = await evaluatePreview(ns.id, preview.rules, pointers, ctx.now, affected);
      await nextTurn();
      const position = new Map<number, number>();
      for (let i = 0; i < now.count; i++) {
        position.set(now.columns.manifestIds[i] as number, i);
        if (i % SLICE === SLICE - 1) await nextTurn();
      }
      await nextTurn();
      const current = {
        get(key: number): CurrentDecision | undefined {
          const i = position.get(key);
          if (i === undefined) return undefined;
          const decision = now.columns.decisions[i] as number;
          return {
            revision: now.columns.revisions[i] as number,
            verdict: {
              decision: DECISIONS[decision] ?? 'keep',
              // Its sentence, as the preview's items say it; a delete's is never read.
              reason:
                decision === DECISION_CODES.delete
                  ? ''
                  : reasonFor(
                      decision,
                      now.columns.ranks[i] as number,
                      now.columns.protections[i] as number,
                      preview.rules,
                      now.protections,
                    ),
            },
          };
        },
      };
      // Each image's fate is its own: the plan is made a slice at a time.
      const plan: ReturnType<typeof planConfirmation<number>> = { delete: [], skipped: [] };
      for (let from = 0; from < previewed.length; from += SLICE) {
        const part = planConfirmation(previewed.slice(from, from + SLICE), current);
        for (const key of part.delete) plan.delete.push(key);
        for (const skip of part.skipped) plan.skipped.push(skip);
        await nextTurn();
      }
      position.clear();
      const skippedKeys = new Set(plan.skipped.map((s) => s.key));
      const repositoryOf = new Map(
        previewed.filter((p) => skippedKeys.has(p.key)).map((p) => [p.key, p.repository.name]),
      );
      const skipped = await describeSkipped(
        plan.skipped.map((s) => ({ ...s, repository: repositoryOf.get(s.key) ?? '' })),
      );
      // plan.delete keeps the previewed order: the revisions are read off in one pass.
      const deletions: { itemId: number; revision: number }[] = [];
      let at = 0;
      for (const id of plan.delete) {
        while (at < previewed.length && previewed[at]?.key !== id) at++;
        deletions.push({ itemId: id, revision: previewed[at]?.revision ?? 0 });
        if (deletions.length % SLICE === 0) await nextTurn();
      }
      previewed.length = 0;
      await nextTurn();
      // Deleting exactly what was previewed, the run frees what the preview said it would
      // (an estimate either way: blobs go once the trash expires). Working it out again cost
      // ~1 s per 100,000 images, a sixth of a confirm.
      const reclaimBytes =
        plan.skipped.length === 0
          ? preview.summary.totals.reclaimBytes
          : await reclaimOffThread(await manifestsGoingWith(db, ns.id, plan.delete));
      return startRun(
        ns,
        {
          trigger: 'preview',
          actor: ctx.actor,
          preview_id: previewId,
          rules: row.rules,
          scheduled_for: null,
          started_at: ctx.now,
        },
        deletions,
        { reclaimBytes, trigger: { trigger: 'preview', previewId }, ...skipped },
        ctx,
        claim,
        async (trx) => {
          const again = await trx
            .selectFrom('retention_previews')
            .select('run_id')
            .where('id', '=', previewId)
            .executeTakeFirst();
          refuseConfirmed(again?.run_id ?? null);
        },
      );
    },

    /** The outcome of a run, as the confirm endpoint answers it, read in `trx`. */
    async outcomeIn(trx: Db, namespace: string, runId: number): Promise<RunOutcome> {
      return outcomeOf(trx, namespace, runId);
    },

    /**
     * Claims every policy whose daily slot is due: moving `next_run_at` forward and creating
     * the slot's run row happen in one transaction, and the row is unique per namespace and
     * slot, so however many processes ask, each slot is claimed once. Runs whose claim has
     * lapsed (their process died) are claimed again.
     */
    async claimDueRuns(now: number, owner: string): Promise<number[]> {
      return db.transaction().execute(async (trx) => {
        const claimed: number[] = [];
        const due = await trx
          .selectFrom('retention_policies')
          .innerJoin('namespaces', 'namespaces.id', 'retention_policies.namespace_id')
          .select([
            'retention_policies.namespace_id',
            'retention_policies.next_run_at',
            'retention_policies.daily_at',
            'retention_policies.keep_count',
            'retention_policies.retain_untagged',
            'retention_policies.exclude_tags',
            'retention_policies.exclude_repositories',
            'retention_policies.protect_unscanned_days',
            'namespaces.name',
          ])
          .where('retention_policies.enabled', '=', 1)
          .where('namespaces.deleting', '=', 0)
          .where('retention_policies.next_run_at', '<=', now)
          .execute();
        for (const p of due) {
          const moved = await trx
            .updateTable('retention_policies')
            .set({ next_run_at: nextDailyRun(now, p.daily_at) })
            .where('namespace_id', '=', p.namespace_id)
            .where('next_run_at', '=', p.next_run_at)
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) !== 1) continue;
          const run = await trx
            .insertInto('retention_runs')
            .values({
              namespace_id: p.namespace_id,
              trigger: 'schedule',
              actor: `policy:${p.name}`,
              preview_id: null,
              rules: JSON.stringify(policyRules(p)),
              scheduled_for: p.next_run_at,
              status: 'running',
              claimed_by: owner,
              lease_until: now + RUN_LEASE_MS,
              started_at: now,
              finished_at: null,
              details: null,
              error: null,
            })
            .onConflict((oc) => oc.columns(['namespace_id', 'scheduled_for']).doNothing())
            .returning('id')
            .executeTakeFirst();
          if (run) claimed.push(run.id);
        }
        const lapsed = await trx
          .updateTable('retention_runs')
          .set({ claimed_by: owner, lease_until: now + RUN_LEASE_MS })
          .where('status', '=', 'running')
          .where('trigger', '=', 'schedule')
          .where('lease_until', '<', now)
          .returning('id')
          .execute();
        claimed.push(...lapsed.map((r) => r.id));
        return claimed;
      });
    },

    /**
     * Executes a claimed scheduled run: the policy's rules over the whole namespace, decided
     * outside any write transaction, then worked as an operation (returned, claimed by
     * `claim.owner`). Null when the run is no longer ours (another process took it over or
     * finished it), so it is never applied twice.
     */
    async executeScheduledRun(
      runId: number,
      owner: string,
      pointersFor: (namespace: string) => Promise<readonly ImagePointer[]>,
      now: () => number,
      claim: { owner: string; leaseMs: number },
    ): Promise<number | null> {
      const head = await db
        .selectFrom('retention_runs')
        .innerJoin('namespaces', 'namespaces.id', 'retention_runs.namespace_id')
        .select([
          'namespaces.id as namespace_id',
          'namespaces.name',
          'retention_runs.actor',
          'retention_runs.rules',
          'retention_runs.scheduled_for',
          'retention_runs.claimed_by',
          'retention_runs.status',
        ])
        .where('retention_runs.id', '=', runId)
        .executeTakeFirst();
      if (!head || head.claimed_by !== owner || head.status !== 'running') return null;
      const pointers = await pointersFor(head.name);
      // Decided as a preview is: on worker threads when the namespace is large.
      const decided = await evaluatePreview(
        head.namespace_id,
        parseRules(head.rules),
        pointers,
        now(),
      );
      const deletions: { itemId: number; revision: number }[] = [];
      for (let i = 0; i < decided.count; i++) {
        if (decided.columns.decisions[i] !== DECISION_CODES.delete) continue;
        deletions.push({
          itemId: decided.columns.manifestIds[i] as number,
          revision: decided.columns.revisions[i] as number,
        });
      }
      const reclaimBytes = await reclaimOffThread(
        await manifestsGoingWith(
          db,
          head.namespace_id,
          deletions.map((d) => d.itemId),
        ),
      );
      const ctx = { actor: head.actor, now: now() };
      try {
        return await startRun(
          { id: head.namespace_id, name: head.name },
          runId,
          deletions,
          {
            reclaimBytes,
            trigger: { trigger: 'schedule', scheduledFor: head.scheduled_for },
            skipped: [],
            skippedCount: 0,
          },
          ctx,
          claim,
          async (trx) => {
            // The claim is re-asserted in the transaction that hands the run to the operation.
            const held = await trx
              .updateTable('retention_runs')
              .set({ lease_until: null })
              .where('id', '=', runId)
              .where('claimed_by', '=', owner)
              .where('status', '=', 'running')
              .executeTakeFirst();
            if (Number(held.numUpdatedRows) !== 1) throw new RunNotOurs();
          },
        );
      } catch (err) {
        if (err instanceof RunNotOurs) return null;
        throw err;
      }
    },

    /** Marks a claimed run failed (its transaction rolled back, so it changed nothing). */
    async failRun(runId: number, owner: string, error: string, now: number) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('retention_runs')
          .set({ status: 'failed', finished_at: now, error, claimed_by: null, lease_until: null })
          .where('id', '=', runId)
          .where('claimed_by', '=', owner)
          .where('status', '=', 'running')
          .returning(['actor', 'namespace_id'])
          .executeTakeFirst();
        if (!row) return;
        const ns = await trx
          .selectFrom('namespaces')
          .select('name')
          .where('id', '=', row.namespace_id)
          .executeTakeFirst();
        await recordAudit(trx, now, {
          actor: row.actor,
          action: 'retention.run',
          target: ns?.name ?? String(row.namespace_id),
          outcome: 'failure',
          details: { runId, error },
        });
      });
    },

    async listRuns(namespace: string, query: { cursor?: string; limit: number }) {
      const ns = await resolveNamespace(db, namespace);
      const after = decodeCursor(query.cursor, ['number', 'number']);
      let qb = db
        .selectFrom('retention_runs')
        .selectAll()
        .where('namespace_id', '=', ns.id)
        .orderBy('id', 'desc')
        .limit(query.limit + 1);
      if (after) qb = qb.where('id', '<', after[0] as number);
      const rows = await qb.execute();
      const page = rows.slice(0, query.limit);
      const items: RunRecord[] = [];
      for (const r of page) items.push(await runView(db, namespace, r));
      const last = page.at(-1);
      return {
        items,
        nextCursor: rows.length > query.limit && last ? encodeCursor([last.id, last.id]) : null,
      };
    },

    async getRun(namespace: string, runId: number): Promise<RunOutcome> {
      await requireRun(db, await resolveNamespace(db, namespace), runId);
      return outcomeOf(db, namespace, runId);
    },

    /**
     * What a run restore brings back: the run's entries still in the trash and not expired,
     * newest deletion first (the order a restore of many images takes them in).
     */
    async restorableOfRun(namespace: string, runId: number, now: number) {
      const ns = await resolveNamespace(db, namespace);
      const run = await requireRun(db, ns, runId);
      const rows = await db
        .selectFrom('trash_entries')
        .select('id')
        .where('retention_run_id', '=', runId)
        .where('expires_at', '>', now)
        .orderBy('deleted_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return {
        namespaceId: ns.id,
        deletedImages: run.deleted_images,
        entryIds: rows.map((r) => r.id),
      };
    },

    /** Previews past their confirmation window are kept a while for reading, then dropped. */
    async purgePreviews(before: number): Promise<number> {
      const result = await db
        .deleteFrom('retention_previews')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Every decision of a preview in order, in pages, for the CSV download. */
    async *previewRows(
      namespace: string,
      id: string,
      pageSize = 1000,
    ): AsyncGenerator<PreviewItemRecord[]> {
      // Decoded once: the pages below only look up the images they list.
      const decoded = await loadDecoded(namespace, id);
      let offset = 0;
      for (;;) {
        const page = await pageOf(namespace, decoded, { offset, limit: pageSize });
        if (page.items.length > 0) yield page.items;
        if (page.nextOffset === null) return;
        offset = page.nextOffset;
      }
    },
  };
}

export type RetentionStore = ReturnType<typeof createRetentionStore>;
