import { z } from 'zod';
import { cursorParam, isoDate, limitParam, page } from './common.js';

export const trashReason = z.enum(['deleted', 'repository-deleted', 'retention']);

export const trashItem = z.object({
  id: z.string(),
  repository: z.string(),
  digest: z.string(),
  tags: z.array(z.string()),
  mediaType: z.string(),
  sizeBytes: z.number(),
  deletedAt: isoDate,
  expiresAt: isoDate,
  daysLeft: z.number().int(),
  reason: trashReason,
  actor: z.string(),
  /** The retention run that deleted it, if one did. */
  retentionRunId: z.string().nullable(),
});
export type TrashItem = z.infer<typeof trashItem>;

export const trashListQuery = z.object({
  repository: z.string().max(255).optional(),
  retentionRun: z
    .string()
    .regex(/^\d{1,15}$/, 'retentionRun is a run id')
    .optional(),
  cursor: cursorParam,
  limit: limitParam,
});
export type TrashListQuery = z.input<typeof trashListQuery>;
export const trashList = page(trashItem);
export type TrashList = z.infer<typeof trashList>;

export const restoreBody = z.union([
  z.object({ repository: z.string().max(255), digest: z.string().max(140) }).strict(),
  z.object({ repository: z.string().max(255), tag: z.string().max(128) }).strict(),
]);
export type RestoreBody = z.infer<typeof restoreBody>;

export const skippedTag = z.object({ tag: z.string(), reason: z.string(), heldBy: z.string() });
export const restoreResult = z.object({
  restored: z.object({ repository: z.string(), digest: z.string(), tags: z.array(z.string()) }),
  skippedTags: z.array(skippedTag),
});
export type RestoreResult = z.infer<typeof restoreResult>;
