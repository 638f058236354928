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

/**
 * `q`: images in the trash with a tag that starts with it, or whose digest does (`sha256:…`
 * or bare hex, at least 4 characters). Only the characters of tags and digests.
 */
export const trashSearchText = z
  .string()
  .trim()
  .min(1)
  .max(135)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'q is the start of a tag or a digest');

export const trashListQuery = z.object({
  repository: z.string().max(255).optional(),
  q: trashSearchText.optional(),
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

/** Everything of one repository that is still in the trash (after a repository delete). */
export const restoreRepositoryBody = z.object({ repository: z.string().min(1).max(255) }).strict();
export type RestoreRepositoryBody = z.infer<typeof restoreRepositoryBody>;

/** The images selected in the trash view; all of them are restored or none is. */
export const restoreManyBody = z
  .object({
    items: z
      .array(z.object({ repository: z.string().max(255), digest: z.string().max(140) }).strict())
      .min(1, 'select at least one image')
      .max(1000, 'at most 1000 images can be restored at once'),
  })
  .strict();
export type RestoreManyBody = z.infer<typeof restoreManyBody>;

/** Listed at most this many entries in a result; the counts are always complete. */
export const RESTORE_RESULT_LISTED = 1000;

/**
 * Restoring many images follows the single-restore tag rule: each image gets back every
 * remembered tag no other image holds now. When two restored images remember the same tag,
 * the one deleted last gets it (it held the tag last); the other reports it as skipped.
 */
export const restoreManyResult = z.object({
  restored: z.number().int(),
  images: z.array(
    z.object({ repository: z.string(), digest: z.string(), tags: z.array(z.string()) }),
  ),
  skippedTagCount: z.number().int(),
  skippedTags: z.array(skippedTag.extend({ repository: z.string(), digest: z.string() })),
});
export type RestoreManyResult = z.infer<typeof restoreManyResult>;

/** Repositories with images in the trash whose name contains `q`: the filter's suggestions. */
export const trashRepositoriesQuery = z.object({
  q: z.string().trim().max(255).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type TrashRepositoriesQuery = z.input<typeof trashRepositoriesQuery>;
export const trashRepositories = z.object({
  items: z.array(z.object({ name: z.string() })),
});
export type TrashRepositories = z.infer<typeof trashRepositories>;
