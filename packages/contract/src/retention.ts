import { z } from 'zod';
import { cursorParam, isoDate, limitParam, page, searchParam } from './common.js';

/** API bounds; the pattern and time grammars are the domain's, checked by the service. */
export const MAX_KEEP_COUNT = 10_000;
export const MAX_EXCLUDE_PATTERNS = 20;
/** The scan protection's N: a year, well past how long scan results are kept (30 days). */
export const MAX_PROTECT_UNSCANNED_DAYS = 365;

const pattern = z.string().min(1, 'patterns cannot be empty').max(255);
const patterns = z
  .array(pattern)
  .max(MAX_EXCLUDE_PATTERNS, `at most ${MAX_EXCLUDE_PATTERNS} patterns`)
  .default([]);

/** What a retention run applies: the same shape in a policy, a preview and a run. */
export const retentionRules = z.strictObject({
  keepCount: z
    .number()
    .int('keepCount must be a whole number')
    .min(0, 'keepCount must be at least 0')
    .max(MAX_KEEP_COUNT, `keepCount must be at most ${MAX_KEEP_COUNT}`),
  retainUntagged: z.boolean(),
  excludeTags: patterns,
  excludeRepositories: patterns,
  /**
   * Protects an image whose newest successful scan (every platform's, for an index) is missing
   * or was generated more than this many days before the rules are applied; null: off. A
   * failed scan does not count as a scan. Absent in a request: off.
   */
  protectUnscannedDays: z
    .number('protectUnscannedDays must be a number of days, or null to turn it off')
    .int('protectUnscannedDays must be a whole number of days')
    .min(1, 'protectUnscannedDays must be at least 1 (or null to turn it off)')
    .max(
      MAX_PROTECT_UNSCANNED_DAYS,
      `protectUnscannedDays must be at most ${MAX_PROTECT_UNSCANNED_DAYS}`,
    )
    .nullable()
    .default(null),
});
export type RetentionRules = z.infer<typeof retentionRules>;
export type RetentionRulesInput = z.input<typeof retentionRules>;

const dailyAt = z.string().max(5, 'the daily time is HH:MM in UTC, for example 03:30');

export const retentionPolicyBody = retentionRules.extend({
  enabled: z.boolean(),
  /** HH:MM, UTC. */
  dailyAt,
});
export type RetentionPolicyBody = z.input<typeof retentionPolicyBody>;
/** The body after parsing: every default filled in. */
export type RetentionPolicySettings = z.output<typeof retentionPolicyBody>;

export const retentionPolicy = z.object({
  namespace: z.string(),
  keepCount: z.number().int(),
  retainUntagged: z.boolean(),
  excludeTags: z.array(z.string()),
  excludeRepositories: z.array(z.string()),
  protectUnscannedDays: z.number().int().nullable(),
  enabled: z.boolean(),
  dailyAt: z.string(),
  /** False until someone saves a policy: the values shown are the defaults. */
  saved: z.boolean(),
  nextRunAt: isoDate.nullable(),
  updatedAt: isoDate.nullable(),
  updatedBy: z.string().nullable(),
});
export type RetentionPolicy = z.infer<typeof retentionPolicy>;

/** Without rules, the namespace's saved policy (or the defaults) is previewed. */
export const retentionPreviewBody = z.strictObject({ rules: retentionRules.optional() });
export type RetentionPreviewBody = z.input<typeof retentionPreviewBody>;
export type RetentionPreviewRequest = z.output<typeof retentionPreviewBody>;

export const retentionDecision = z.enum(['keep', 'protected', 'delete']);
export type RetentionDecision = z.infer<typeof retentionDecision>;

const counts = {
  images: z.number().int(),
  keep: z.number().int(),
  protected: z.number().int(),
  delete: z.number().int(),
  /** Sum of the sizes of the images to delete (layers shared between them counted once each). */
  deleteBytes: z.number(),
};

export const retentionPreviewRepository = z.object({ name: z.string(), ...counts });
export type RetentionPreviewRepository = z.infer<typeof retentionPreviewRepository>;

export const retentionPreview = z.object({
  id: z.string(),
  namespace: z.string(),
  rules: retentionRules,
  createdAt: isoDate,
  expiresAt: isoDate,
  createdBy: z.string(),
  /** Set once the preview was confirmed; it cannot be confirmed twice. */
  runId: z.string().nullable(),
  totals: z.object({
    ...counts,
    repositories: z.number().int(),
    /** Repositories that lose at least one image. */
    repositoriesWithDeletes: z.number().int(),
    /** Storage freed once these images leave the trash: blobs nothing else uses. */
    reclaimBytes: z.number(),
  }),
});
export type RetentionPreview = z.infer<typeof retentionPreview>;

/**
 * The preview's repositories, most deletions first, a page at a time: a namespace may have
 * tens of thousands. A preview never changes, so a position in its list is a stable page
 * (and lets a table jump to any page).
 */
export const retentionPreviewRepositoriesQuery = z.object({
  /** Part of a repository name, any case. */
  q: searchParam,
  offset: z.coerce
    .number()
    .int('offset must be a whole number')
    .min(0, 'offset must be at least 0')
    .max(10_000_000, 'offset must be at most 10000000')
    .default(0),
  limit: limitParam,
});
export type RetentionPreviewRepositoriesQuery = z.input<typeof retentionPreviewRepositoriesQuery>;
export const retentionPreviewRepositories = z.object({
  items: z.array(retentionPreviewRepository),
  /** Repositories that match `q` (all of them without it). */
  total: z.number().int(),
});
export type RetentionPreviewRepositories = z.infer<typeof retentionPreviewRepositories>;

export const retentionPreviewItemsQuery = z.object({
  repository: z.string().max(255).optional(),
  decision: retentionDecision.optional(),
  cursor: cursorParam,
  limit: limitParam,
});
export type RetentionPreviewItemsQuery = z.input<typeof retentionPreviewItemsQuery>;

export const retentionPreviewItem = z.object({
  repository: z.string(),
  digest: z.string(),
  /** Tags now; `state` says whether the image changed since the preview. */
  tags: z.array(z.string()),
  createdAt: isoDate.nullable(),
  pushedAt: isoDate,
  sizeBytes: z.number(),
  decision: retentionDecision,
  reason: z.string(),
  rank: z.number().int().nullable(),
  /** changed: pushed, retagged or restored since; gone: deleted since. Either is skipped. */
  state: z.enum(['unchanged', 'changed', 'gone']),
});
export type RetentionPreviewItem = z.infer<typeof retentionPreviewItem>;
export const retentionPreviewItems = page(retentionPreviewItem);
export type RetentionPreviewItems = z.infer<typeof retentionPreviewItems>;

export const retentionConfirmBody = z.strictObject({ previewId: z.string().min(1).max(64) });
export type RetentionConfirmBody = z.infer<typeof retentionConfirmBody>;

export const retentionRun = z.object({
  id: z.string(),
  namespace: z.string(),
  trigger: z.enum(['preview', 'schedule']),
  /** A person, or `policy:<namespace>` for scheduled runs. */
  actor: z.string(),
  previewId: z.string().nullable(),
  rules: retentionRules,
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  scheduledFor: isoDate.nullable(),
  deletedImages: z.number().int(),
  deletedBytes: z.number(),
  reclaimBytes: z.number(),
  skippedImages: z.number().int(),
  /** Images of this run still in the trash: what "restore the run" brings back. */
  inTrash: z.number().int(),
  error: z.string().nullable(),
});
export type RetentionRun = z.infer<typeof retentionRun>;
export const retentionRunList = page(retentionRun);
export type RetentionRunList = z.infer<typeof retentionRunList>;
export const retentionRunListQuery = z.object({ cursor: cursorParam, limit: limitParam });

export const retentionImageRef = z.object({
  repository: z.string(),
  digest: z.string(),
  tags: z.array(z.string()),
  sizeBytes: z.number(),
});
export const retentionSkipped = retentionImageRef.extend({ reason: z.string() });

/** What a run did. Lists stop at 500 entries; the counts are complete. */
export const retentionRunResult = z.object({
  run: retentionRun,
  deleted: z.array(retentionImageRef),
  skipped: z.array(retentionSkipped),
});
export type RetentionRunResult = z.infer<typeof retentionRunResult>;

export const retentionRunRestored = z.object({
  runId: z.string(),
  restored: z.number().int(),
  /** Images of the run that had already left the trash (restored or purged before). */
  notInTrash: z.number().int(),
  skippedTags: z.array(
    z.object({
      repository: z.string(),
      digest: z.string(),
      tag: z.string(),
      reason: z.string(),
      heldBy: z.string(),
    }),
  ),
});
export type RetentionRunRestored = z.infer<typeof retentionRunRestored>;
