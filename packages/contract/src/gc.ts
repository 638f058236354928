import { z } from 'zod';
import { isoDate } from './common.js';

export const gcRunBody = z.strictObject({ dryRun: z.boolean().default(false) });
export type GcRunBody = z.infer<typeof gcRunBody>;

/** What a garbage-collection run removed, or with dryRun what it would remove. */
export const gcReport = z.object({
  dryRun: z.boolean(),
  blobs: z.number().int(),
  bytes: z.number(),
  staleLinks: z.number().int(),
  uploads: z.number().int(),
  uploadBytes: z.number(),
  /**
   * Staging files no upload will use again: left by a process killed mid-upload, or by a
   * start that failed on a full disk. Removed at start-up too.
   */
  strayFiles: z.number().int(),
  strayBytes: z.number(),
  startedAt: isoDate,
  finishedAt: isoDate,
});
export type GcReport = z.infer<typeof gcReport>;
