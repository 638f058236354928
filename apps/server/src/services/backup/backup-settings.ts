import { z } from 'zod';
import { parseS3Location } from '@berth/store';

/** Scheduled backups (docs/backups.md); merged into config.ts's environment schema. */
export const backupEnvShape = {
  /**
   * A directory or an S3 prefix (s3://bucket/prefix?endpoint=…, read as BERTH_BLOB_STORE is,
   * credentials from the AWS SDK's sources) to back up into every day; unset: no scheduled
   * backups.
   */
  BERTH_BACKUP_TARGET: z
    .string()
    .min(1)
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || !/^s3:\/\//i.test(value)) return value;
      try {
        parseS3Location(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
      // `berth backup` tells an S3 target by its lowercase scheme.
      return `s3:${value.slice(3)}`;
    }),
  /** Backups kept in the target; older ones are pruned after each successful run. */
  BERTH_BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
  /** When the daily backup runs, HH:MM in UTC. */
  BERTH_BACKUP_AT: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour, UTC), such as 02:30')
    .default('02:00'),
};

export interface BackupSchedule {
  target: string;
  keep: number;
  /** HH:MM, UTC. */
  at: string;
  /** Milliseconds after midnight UTC. */
  atMs: number;
}

export function backupSchedule(e: {
  BERTH_BACKUP_TARGET?: string | undefined;
  BERTH_BACKUP_KEEP: number;
  BERTH_BACKUP_AT: string;
}): BackupSchedule | null {
  if (!e.BERTH_BACKUP_TARGET) return null;
  const [hours = 0, minutes = 0] = e.BERTH_BACKUP_AT.split(':').map(Number);
  return {
    target: e.BERTH_BACKUP_TARGET,
    keep: e.BERTH_BACKUP_KEEP,
    at: e.BERTH_BACKUP_AT,
    atMs: (hours * 60 + minutes) * 60_000,
  };
}
