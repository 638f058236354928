import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackupRun, BackupStatus } from '@berth/contract';
import { type BackupRunRecord, createBackupRunsStore } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import { iso } from '../iso.js';
import { singleFlight } from '../single-flight.js';
import type { BackupSchedule } from './backup-settings.js';
import { pruneTarget } from './prune-backups.js';

const DAY_MS = 86_400_000;
const RECENT_RUNS = 20;
const RUN_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/**
 * A run's lease, renewed every LEASE_RENEW_MS while its process lives: a run still `running`
 * LEASE_MS after the last renewal belongs to a process that died. Long enough that a database
 * hiccup of a minute or two does not fail a live run; short enough that the console does not
 * show a dead run as in progress for long.
 */
export const BACKUP_LEASE_MS = 5 * 60 * 1000;
const LEASE_RENEW_MS = 60 * 1000;

/** The built CLI (from src when tests import the service, or from dist): one path for both. */
const BACKUP_CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../dist/cli/backup.js',
);

export interface BackupSettings {
  schedule: BackupSchedule | null;
  /** Why scheduled backups cannot run here (no pg_dump for PostgreSQL metadata), or null. */
  unavailable: string | null;
  /** BERTH_DATABASE_URL: the backup dumps PostgreSQL instead of reading the SQLite file. */
  databaseUrl?: string | null;
  /** The data directory and blob store (BERTH_BLOB_STORE) the backup reads. */
  dataDir: string;
  blobStore: string | null;
}

/**
 * Scheduled backups: every server process ticks, and the daily slot is claimed in job_slots,
 * so exactly one process runs each day's backup however many share the database (as GC and
 * retention do). The run is `berth backup` in a child process: SQLite's online backup copies
 * the snapshot in one step, synchronously, and in the server that step would stall requests
 * for as long as the copy takes (on PostgreSQL the child runs pg_dump). Each run is recorded (backup_runs) and audited (backup.run).
 */
export function createBackupService(deps: ServiceDeps, settings: BackupSettings | undefined) {
  const { store, clock, logger } = deps;
  const runs = createBackupRunsStore(store.db);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  /**
   * Runs left `running` by a process that died are failed, by whichever process ticks first
   * after their lease ends (a restarted server does it on its first tick), and audited.
   */
  async function failDeadRuns(): Promise<void> {
    const now = clock();
    const dead = await runs.failExpired(
      now,
      (run) =>
        `the Berth process running this backup${run.owner ? ` (${run.owner})` : ''} stopped before it finished: no sign of it since ${new Date(run.leaseUntil - BACKUP_LEASE_MS).toISOString()}; the next scheduled run takes a new backup`,
    );
    for (const run of dead) {
      logger.warn({ target: run.target, run: run.id }, 'scheduled backup abandoned');
      await store.audit.record(now, {
        actor: 'system:backup-schedule',
        action: 'backup.run',
        target: run.target,
        outcome: 'failure',
        details: { error: run.error },
      });
    }
  }

  async function tick(): Promise<boolean> {
    await failDeadRuns();
    const schedule = settings?.schedule;
    if (!schedule || settings?.unavailable) return false;
    const now = clock();
    // Day n's slot opens at the configured time of day n; a process that was down then runs
    // the latest slot it missed once it is back.
    const slot = Math.floor((now - schedule.atMs) / DAY_MS);
    if (!(await store.jobSlots.claim('backup', slot, owner, now))) return false;
    await runOnce(schedule, settings);
    return true;
  }

  async function runOnce(schedule: BackupSchedule, s: BackupSettings): Promise<void> {
    const id = randomUUID();
    const target = shownTarget(schedule.target);
    await runs.start({ id, target, now: clock(), owner, leaseUntil: clock() + BACKUP_LEASE_MS });
    const renewal = setInterval(() => {
      runs
        .renew(id, clock() + BACKUP_LEASE_MS)
        .catch((err: unknown) => logger.warn({ err }, 'renewing the backup run lease failed'));
    }, LEASE_RENEW_MS);
    renewal.unref();
    try {
      const summary = await runCli(target, s);
      const pruned = await pruneTarget(target, schedule.keep);
      const outcome = {
        backupId: summary.id,
        blobs: summary.blobs,
        sizeBytes: summary.sizeBytes,
        copiedBytes: summary.bytesCopied,
        pruned: pruned.backups,
      };
      await runs.succeed(id, clock(), outcome);
      await store.audit.record(clock(), {
        actor: 'system:backup-schedule',
        action: 'backup.run',
        target,
        outcome: 'success',
        details: { ...outcome, blobsPruned: pruned.blobs },
      });
      logger.info({ target, backup: summary.id }, 'scheduled backup');
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      logger.error({ err, target }, 'scheduled backup failed');
      await runs.fail(id, clock(), error);
      await store.audit.record(clock(), {
        actor: 'system:backup-schedule',
        action: 'backup.run',
        target,
        outcome: 'failure',
        details: { error },
      });
    } finally {
      clearInterval(renewal);
    }
  }

  const flight = singleFlight(tick);

  return {
    tick: flight.run,
    settled: flight.settled,

    async status(): Promise<BackupStatus> {
      const schedule = settings?.schedule ?? null;
      const [lastSuccess, recent] = await Promise.all([
        runs.lastSucceeded(),
        runs.recent(RECENT_RUNS),
      ]);
      return {
        schedule: schedule
          ? { target: shownTarget(schedule.target), keep: schedule.keep, at: schedule.at }
          : null,
        unavailable: schedule ? (settings?.unavailable ?? null) : null,
        lastSuccess: lastSuccess ? toContract(lastSuccess) : null,
        runs: recent.map(toContract),
      };
    },
  };
}

/**
 * The target as runs, the API and the audit log name it, and as the backup command is given
 * it: a directory's absolute path, or the s3:// address as configured (it never holds
 * credentials: the address syntax refuses them).
 */
function shownTarget(target: string): string {
  return target.startsWith('s3://') ? target : path.resolve(target);
}

function toContract(r: BackupRunRecord): BackupRun {
  return {
    ...r,
    startedAt: iso(r.startedAt),
    finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
  };
}

interface CliSummary {
  id: string;
  blobs: number;
  bytesCopied: number;
  sizeBytes: number;
}

/** `berth backup TARGET --output json`; rejects with the command's last line of stderr. */
function runCli(target: string, s: BackupSettings): Promise<CliSummary> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (s.databaseUrl) env.BERTH_DATABASE_URL = s.databaseUrl;
  else delete env.BERTH_DATABASE_URL;
  delete env.BERTH_BACKUP_TARGET;
  if (s.blobStore) env.BERTH_BLOB_STORE = s.blobStore;
  else delete env.BERTH_BLOB_STORE;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BACKUP_CLI, target, '--data-dir', s.dataDir, '--output', 'json'],
      { env, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const said = stderr.trim().split('\n').at(-1);
          reject(new Error(said || error.message));
          return;
        }
        try {
          const out = JSON.parse(stdout) as {
            id: string;
            blobs: number;
            bytesCopied: number;
            sizeBytes: number;
          };
          resolve(out);
        } catch {
          reject(new Error(`berth backup printed something other than its JSON summary`));
        }
      },
    );
  });
}
