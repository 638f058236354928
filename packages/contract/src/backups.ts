import { z } from 'zod';
import { isoDate } from './common.js';

/** One scheduled `berth backup` run (issue 18). */
export const backupRun = z.object({
  id: z.string(),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  state: z.enum(['running', 'succeeded', 'failed']),
  /** The backup directory it wrote into. */
  target: z.string(),
  /** The backup's folder name in the target; null unless it succeeded. */
  backupId: z.string().nullable(),
  blobs: z.number().int().nullable(),
  /** What the backup holds: the database snapshot and every blob it needs. */
  sizeBytes: z.number().int().nullable(),
  /** What this run had to copy (the rest was in the target already). */
  copiedBytes: z.number().int().nullable(),
  /** Older backups removed to keep the configured number. */
  pruned: z.number().int().nullable(),
  /** Why it failed, in words. */
  error: z.string().nullable(),
});
export type BackupRun = z.infer<typeof backupRun>;

/** GET /api/v1/backups (administrators): the schedule, the last good backup, recent runs. */
export const backupStatus = z.object({
  /** Null when BERTH_BACKUP_TARGET is not set: no scheduled backups. */
  schedule: z
    .object({
      target: z.string(),
      /** Backups kept; older ones are pruned after each successful run. */
      keep: z.number().int(),
      /** Daily time, HH:MM in UTC. */
      at: z.string(),
    })
    .nullable(),
  /** Why scheduled backups cannot run here although configured (e.g. on PostgreSQL). */
  unavailable: z.string().nullable(),
  lastSuccess: backupRun.nullable(),
  runs: z.array(backupRun),
});
export type BackupStatus = z.infer<typeof backupStatus>;
