import {
  InputError,
  NotFoundError,
  RETENTION_PREVIEW_TTL_MS,
  type RetentionRules,
  checkDailyAt,
  checkRetentionPattern,
} from '@berth/domain';
import type {
  RetentionPolicy,
  RetentionPolicySettings,
  RetentionPreview,
  RetentionPreviewRequest,
  RetentionPreviewItems,
  RetentionPreviewItemsQuery,
  RetentionPreviewRepositories,
  RetentionRun,
  RetentionRunList,
  RetentionRunRestored,
  RetentionRunResult,
} from '@berth/contract';
import {
  type PreviewItemRecord,
  type PreviewRecord,
  type RunOutcome,
  type RunRecord,
  startTrashRestore,
} from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import type { OperationRunner } from '../operations/operation-runner.js';
import type { OperationsService, Outcome } from '../operations/operations-service.js';
import { iso, isoOrNull } from '../iso.js';
import { requireNamespaceName, requireRepositoryName } from '../name-checks.js';
import type { ImagePointerSource } from './image-pointers.js';
import { csvLine } from '../csv.js';

const PREVIEW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RUN_ID = /^[1-9]\d{0,14}$/;

/** The grammars the contract leaves to the domain: patterns and the daily time. */
function requireRules(rules: RetentionRules): RetentionRules {
  for (const pattern of [...rules.excludeTags, ...rules.excludeRepositories]) {
    const problem = checkRetentionPattern(pattern);
    if (problem)
      throw new InputError('INVALID_PATTERN', `pattern "${pattern.slice(0, 80)}": ${problem}`);
  }
  return rules;
}

function requirePreviewId(namespace: string, id: string): string {
  if (!PREVIEW_ID.test(id)) {
    throw new NotFoundError(
      'PREVIEW_UNKNOWN',
      `namespace "${namespace}" has no retention preview ${id.slice(0, 80)}`,
    );
  }
  return id;
}

function requireRunId(namespace: string, id: string): number {
  if (!RUN_ID.test(id)) {
    throw new NotFoundError(
      'RUN_UNKNOWN',
      `namespace "${namespace}" has no retention run ${id.slice(0, 80)}`,
    );
  }
  return Number(id);
}

/** Preview pages are positions in the stored decisions; the cursor carries the next one. */
function encodeOffset(offset: number): string {
  return Buffer.from(`p${offset}`).toString('base64url');
}
function decodeOffset(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^p(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new InputError(
      'INVALID_CURSOR',
      'cursor is not one this list returned; start again without it',
    );
  return Number(match[1]);
}

type PreviewSummary = PreviewRecord['summary'];
type PreviewRepositoryRow = RetentionPreviewRepositories['items'][number];

/**
 * A preview's repositories as the API lists them: most deletions first, then by name (in code
 * point order: names are ASCII, and it is the same order on every process). Kept per summary
 * object, so the store's cached summary is sorted once, not at every page.
 */
const listedRepositories = new WeakMap<PreviewSummary, PreviewRepositoryRow[]>();
function repositoriesOf(summary: PreviewSummary): PreviewRepositoryRow[] {
  let listed = listedRepositories.get(summary);
  if (!listed) {
    listed = summary.repositories
      .map(({ name, images, keep, protected: prot, delete: del, deleteBytes }) => ({
        name,
        images,
        keep,
        protected: prot,
        delete: del,
        deleteBytes,
      }))
      .sort((a, b) => b.delete - a.delete || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    listedRepositories.set(summary, listed);
  }
  return listed;
}

function previewView(p: PreviewRecord): RetentionPreview {
  const { totals, repositories } = p.summary;
  let repositoriesWithDeletes = 0;
  for (const repository of repositories) if (repository.delete > 0) repositoriesWithDeletes += 1;
  return {
    id: p.id,
    namespace: p.namespace,
    rules: p.rules,
    createdAt: iso(p.createdAt),
    expiresAt: iso(p.expiresAt),
    createdBy: p.createdBy,
    runId: p.runId === null ? null : String(p.runId),
    totals: { ...totals, repositoriesWithDeletes },
  };
}

function runView(r: RunRecord): RetentionRun {
  return {
    ...r,
    id: String(r.id),
    startedAt: iso(r.startedAt),
    finishedAt: isoOrNull(r.finishedAt),
    scheduledFor: isoOrNull(r.scheduledFor),
  };
}

export function outcomeView(o: RunOutcome): RetentionRunResult {
  return { run: runView(o.run), deleted: o.deleted, skipped: o.skipped };
}

function csvLines(items: readonly PreviewItemRecord[]): string {
  return items
    .map((i) =>
      csvLine([
        i.repository,
        i.digest,
        i.tags.join(' '),
        i.createdAt === null ? '' : iso(i.createdAt),
        iso(i.pushedAt),
        String(i.sizeBytes),
        i.decision,
        i.rank === null ? '' : String(i.rank),
        i.reason,
        i.state,
      ]),
    )
    .join('');
}

export const CSV_HEADER = [
  'repository',
  'digest',
  'tags',
  'created',
  'pushed',
  'size_bytes',
  'decision',
  'rank',
  'reason',
  'state',
];

export function createRetentionService(
  { store, clock }: ServiceDeps,
  pointers: ImagePointerSource,
  operations: OperationsService,
  runner: OperationRunner,
) {
  async function policyView(namespace: string): Promise<RetentionPolicy> {
    const saved = await store.retention.getPolicy(namespace);
    const policy = saved ?? {
      ...store.retention.defaultPolicy(),
      nextRunAt: null,
      updatedAt: null,
      updatedBy: null,
    };
    return {
      namespace,
      ...policy.rules,
      enabled: policy.enabled,
      dailyAt: policy.dailyAt,
      saved: saved !== null,
      nextRunAt: isoOrNull(policy.nextRunAt),
      updatedAt: isoOrNull(policy.updatedAt),
      updatedBy: policy.updatedBy,
    };
  }

  return {
    getPolicy(namespace: string): Promise<RetentionPolicy> {
      requireNamespaceName(namespace);
      return policyView(namespace);
    },

    async savePolicy(namespace: string, body: RetentionPolicySettings, actor: string) {
      requireNamespaceName(namespace);
      const { enabled, dailyAt, ...rules } = body;
      const problem = checkDailyAt(dailyAt);
      if (problem) throw new InputError('INVALID_DAILY_TIME', `dailyAt "${dailyAt}": ${problem}`);
      await store.retention.savePolicy(
        namespace,
        { rules: requireRules(rules), enabled, dailyAt },
        { actor, now: clock() },
      );
      return policyView(namespace);
    },

    async preview(namespace: string, body: RetentionPreviewRequest, actor: string) {
      requireNamespaceName(namespace);
      const rules =
        body.rules ??
        (await store.retention.getPolicy(namespace))?.rules ??
        store.retention.defaultPolicy().rules;
      const record = await store.retention.createPreview(
        namespace,
        requireRules(rules),
        await pointers.forNamespace(namespace),
        { actor, now: clock() },
        RETENTION_PREVIEW_TTL_MS,
      );
      return previewView(record);
    },

    async getPreview(namespace: string, id: string): Promise<RetentionPreview> {
      requireNamespaceName(namespace);
      return previewView(
        await store.retention.getPreview(namespace, requirePreviewId(namespace, id)),
      );
    },

    async previewRepositories(
      namespace: string,
      id: string,
      query: { q?: string; offset: number; limit: number },
    ): Promise<RetentionPreviewRepositories> {
      requireNamespaceName(namespace);
      const record = await store.retention.getPreview(namespace, requirePreviewId(namespace, id));
      const all = repositoriesOf(record.summary);
      const q = query.q?.trim().toLowerCase() ?? '';
      const matching = q === '' ? all : all.filter((r) => r.name.includes(q));
      return {
        items: matching.slice(query.offset, query.offset + query.limit),
        total: matching.length,
      };
    },

    async previewItems(
      namespace: string,
      id: string,
      query: Omit<RetentionPreviewItemsQuery, 'limit'> & { limit: number },
    ): Promise<RetentionPreviewItems> {
      requireNamespaceName(namespace);
      if (query.repository !== undefined) requireRepositoryName(namespace, query.repository);
      const page = await store.retention.previewItems(namespace, requirePreviewId(namespace, id), {
        repository: query.repository,
        decision: query.decision,
        offset: decodeOffset(query.cursor),
        limit: query.limit,
      });
      return {
        items: page.items.map((i) => ({
          ...i,
          createdAt: isoOrNull(i.createdAt),
          pushedAt: iso(i.pushedAt),
        })),
        nextCursor: page.nextOffset === null ? null : encodeOffset(page.nextOffset),
      };
    },

    /** The whole preview as CSV lines, produced a page at a time. */
    async *previewCsv(namespace: string, id: string): AsyncGenerator<string> {
      requireNamespaceName(namespace);
      const pages = store.retention.previewRows(namespace, requirePreviewId(namespace, id));
      // The first page loads the preview: an unknown one fails here, before any line is sent,
      // so it is still a clean 404.
      const first = await pages.next();
      yield csvLine(CSV_HEADER);
      if (!first.done) yield csvLines(first.value);
      for await (const items of pages) yield csvLines(items);
    },

    async confirm(
      namespace: string,
      previewId: string,
      actor: string,
    ): Promise<Outcome<RetentionRunResult>> {
      requireNamespaceName(namespace);
      requirePreviewId(namespace, previewId);
      const id = await store.retention.confirm(
        namespace,
        previewId,
        await pointers.forNamespace(namespace),
        { actor, now: clock() },
        { owner: runner.owner, leaseMs: runner.settings.leaseMs },
      );
      return operations.settle<RetentionRunResult>(id);
    },

    async listRuns(
      namespace: string,
      query: { cursor?: string; limit: number },
    ): Promise<RetentionRunList> {
      requireNamespaceName(namespace);
      const page = await store.retention.listRuns(namespace, query);
      return { items: page.items.map(runView), nextCursor: page.nextCursor };
    },

    async getRun(namespace: string, id: string): Promise<RetentionRun> {
      requireNamespaceName(namespace);
      return runView((await store.retention.getRun(namespace, requireRunId(namespace, id))).run);
    },

    /**
     * Everything the run deleted that is still in the trash; a set larger than one chunk is
     * restored as an operation (202) in chunks that commit on their own.
     */
    async restoreRun(
      namespace: string,
      id: string,
      actor: string,
    ): Promise<Outcome<RetentionRunRestored>> {
      requireNamespaceName(namespace);
      const { id: operationId } = await startTrashRestore(
        store.db,
        namespace,
        { retentionRun: requireRunId(namespace, id) },
        { actor, now: clock() },
        { owner: runner.owner, leaseMs: runner.settings.leaseMs },
      );
      return operations.settle<RetentionRunRestored>(operationId);
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
