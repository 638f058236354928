import { z } from 'zod';
import { isoDate } from './common.js';

/**
 * The advisory data vulnerability matching uses, imported by the operator
 * (`berth advisories import`): how much there is, per OSV ecosystem, and how old it is.
 */
export const advisoryDataStatus = z.object({
  advisories: z.number().int(),
  ecosystems: z.array(z.object({ ecosystem: z.string(), advisories: z.number().int() })),
  /** The last import that finished; null before the first. */
  lastImport: z
    .object({
      finishedAt: isoDate,
      source: z.string(),
      added: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      skipped: z.number().int(),
    })
    .nullable(),
  /** The newest `modified` time of any advisory held: how current the data itself is. */
  newestModified: isoDate.nullable(),
});
export type AdvisoryDataStatus = z.infer<typeof advisoryDataStatus>;
