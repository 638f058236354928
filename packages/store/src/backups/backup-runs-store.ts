import type { Db } from '../database.js';

/** The backup_runs table (migration 0026), kept beside the store's own Database type. */
export interface BackupRunsTable {
  id: string;
  started_at: number;
  finished_at: number | null;
  state: BackupRunState;
  target: string;
  backup_id: string | null;
  blobs: number | null;
  size_bytes: number | null;
  copied_bytes: number | null;
  pruned: number | null;
  error: string | null;
  owner: string | null;
  lease_until: number | null;
}

export type BackupRunState = 'running' | 'succeeded' | 'failed';

export interface BackupRunRecord {
  id: string;
  startedAt: number;
  finishedAt: number | null;
  state: BackupRunState;
  target: string;
  backupId: string | null;
  blobs: number | null;
  sizeBytes: number | null;
  copiedBytes: number | null;
  pruned: number | null;
  error: string | null;
}

export interface BackupRunOutcome {
  backupId: string;
  blobs: number;
  sizeBytes: number;
  copiedBytes: number;
  pruned: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRecord(r: BackupRunsTable): BackupRunRecord {
  return {
    id: r.id,
    startedAt: Number(r.started_at),
    finishedAt: num(r.finished_at),
    state: r.state,
    target: r.target,
    backupId: r.backup_id,
    blobs: num(r.blobs),
    sizeBytes: num(r.size_bytes),
    copiedBytes: num(r.copied_bytes),
    pruned: num(r.pruned),
    error: r.error,
  };
}

/** History of scheduled backups; exactly-once is job_slots' business, not this table's. */
export function createBackupRunsStore(store: Db) {
  const db = store.withTables<{ backup_runs: BackupRunsTable }>();
  return {
    async start(run: {
      id: string;
      target: string;
      now: number;
      owner: string;
      leaseUntil: number;
    }): Promise<void> {
      await db
        .insertInto('backup_runs')
        .values({
          id: run.id,
          started_at: run.now,
          state: 'running',
          target: run.target,
          owner: run.owner,
          lease_until: run.leaseUntil,
        })
        .execute();
    },

    /** The running process is alive: its run stays `running` until `leaseUntil`. */
    async renew(id: string, leaseUntil: number): Promise<void> {
      await db
        .updateTable('backup_runs')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .execute();
    },

    /**
     * Marks failed every `running` run whose lease ended before `now` (its process died: a
     * crash, a kill, a power cut), with `reason(run)` as its error. Each row is updated only if
     * it is still running and expired, so two processes doing this at once fail it once.
     * Returns the runs it marked.
     */
    async failExpired(
      now: number,
      reason: (run: BackupRunRecord & { owner: string | null; leaseUntil: number }) => string,
    ): Promise<BackupRunRecord[]> {
      const expired = await db
        .selectFrom('backup_runs')
        .selectAll()
        .where('state', '=', 'running')
        .where('lease_until', '<', now)
        .execute();
      const marked: BackupRunRecord[] = [];
      for (const row of expired) {
        const run = toRecord(row);
        const error = reason({ ...run, owner: row.owner, leaseUntil: Number(row.lease_until) });
        const updated = await db
          .updateTable('backup_runs')
          .set({ state: 'failed', finished_at: now, error })
          .where('id', '=', run.id)
          .where('state', '=', 'running')
          .where('lease_until', '<', now)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) {
          marked.push({ ...run, state: 'failed', finishedAt: now, error });
        }
      }
      return marked;
    },

    async succeed(id: string, now: number, outcome: BackupRunOutcome): Promise<void> {
      await db
        .updateTable('backup_runs')
        .set({
          state: 'succeeded',
          finished_at: now,
          backup_id: outcome.backupId,
          blobs: outcome.blobs,
          size_bytes: outcome.sizeBytes,
          copied_bytes: outcome.copiedBytes,
          pruned: outcome.pruned,
        })
        .where('id', '=', id)
        .execute();
    },

    async fail(id: string, now: number, error: string): Promise<void> {
      await db
        .updateTable('backup_runs')
        .set({ state: 'failed', finished_at: now, error })
        .where('id', '=', id)
        .execute();
    },

    async recent(limit: number): Promise<BackupRunRecord[]> {
      const rows = await db
        .selectFrom('backup_runs')
        .selectAll()
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    async lastSucceeded(): Promise<BackupRunRecord | null> {
      const row = await db
        .selectFrom('backup_runs')
        .selectAll()
        .where('state', '=', 'succeeded')
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },
  };
}

export type BackupRunsStore = ReturnType<typeof createBackupRunsStore>;
