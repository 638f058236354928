import { apiPaths, type BackupRun, backupStatus } from '@berth/contract';
import { route } from '../api.js';
import type { Command, Group } from '../command.js';
import { fields, formatSize, formatTime, table } from '../output.js';

const routes = { status: route('get', '/api/v1/backups', backupStatus) };

const size = (b: number | null) => (b === null ? '-' : formatSize(b));

function runLine(r: BackupRun): string {
  if (r.state === 'failed')
    return `failed ${formatTime(r.startedAt)}: ${r.error ?? 'no reason given'}`;
  if (r.state === 'running') return `running since ${formatTime(r.startedAt)}`;
  return `${r.backupId ?? '?'} at ${formatTime(r.finishedAt)} (${size(r.sizeBytes)})`;
}

// Backups are taken on the server (./berth backup, or the schedule); the API only reports them.
const list: Command = {
  name: 'list',
  summary: 'the backup schedule, the last successful backup and recent runs (admin)',
  positionals: 0,
  details: 'Backups are made on the server: ./berth backup, or daily with BERTH_BACKUP_TARGET.',
  async run(ctx) {
    const s = await ctx.api.call(routes.status, apiPaths.backups());
    ctx.print(
      s,
      () =>
        fields([
          [
            'schedule',
            s.schedule
              ? `daily at ${s.schedule.at} UTC into ${s.schedule.target}, keeping ${s.schedule.keep}`
              : 'none (BERTH_BACKUP_TARGET is not set)',
          ],
          ...(s.unavailable ? [['unavailable', s.unavailable] as [string, string]] : []),
          ['last success', s.lastSuccess ? runLine(s.lastSuccess) : 'never'],
        ]) +
        (s.runs.length === 0
          ? 'no runs recorded\n'
          : table(
              ['STARTED', 'STATE', 'BACKUP', 'SIZE', 'COPIED', 'PRUNED', 'ERROR'],
              s.runs.map((r) => [
                formatTime(r.startedAt),
                r.state,
                r.backupId ?? '-',
                size(r.sizeBytes),
                size(r.copiedBytes),
                r.pruned === null ? '-' : String(r.pruned),
                r.error ?? '',
              ]),
            )),
    );
  },
};

export const backupsGroup: Group = {
  name: 'backups',
  summary: 'scheduled backups: schedule, last success, recent runs (admin)',
  commands: [list],
};
