import { z } from 'zod';

/** Scheduled backups (docs/backups.md); merged into config.ts's environment schema. */
export const backupEnvShape = {
  /** A directory to back up into every day; unset: no scheduled backups. */
  BERTH_BACKUP_TARGET: z
    .string()
    .min(1)
    // Pruning old backups works on directories only; an S3 target is for `berth backup s3://…`.
    .refine((v) => !/^s3:\/\//i.test(v), {
      message:
        'scheduled backups go into a directory; back up into S3 with `berth backup s3://…` (pruning in S3 is not supported)',
    })
    .optional(),
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
