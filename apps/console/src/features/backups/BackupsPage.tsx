import { InlineNotification, SkeletonText, Tag } from '@carbon/react';
import type { BackupRun, BackupStatus } from '@berth/contract';
import { useBackupStatus } from '../../api/backups';
import { ErrorNotification } from '../../components/ErrorNotification';
import { PageHeader } from '../../components/PageHeader';
import { formatBytes, formatTimestamp, pluralize } from '../../lib/format';
import { usePageTitle } from '../../lib/page-title';
import './backups.scss';

const DAY_MS = 86_400_000;

function NotConfigured() {
  return (
    <div className="berth-empty">
      <h2 className="berth-empty__title">Backups are not scheduled</h2>
      <p className="berth-empty__body">
        Set <code>BERTH_BACKUP_TARGET</code> to a directory (on another disk or machine) or an S3
        prefix (<code>s3://bucket/prefix</code>) and restart Berth: it then takes a backup every day
        at <code>BERTH_BACKUP_AT</code> (UTC, default 02:00) and keeps the newest{' '}
        <code>BERTH_BACKUP_KEEP</code> (default 7). A backup can also be taken at any time with{' '}
        <code>./berth backup &lt;directory|s3://…&gt;</code>, and brought back with{' '}
        <code>./berth restore</code>.
      </p>
    </div>
  );
}

function LastSuccess({ status, now }: { status: BackupStatus; now: number }) {
  const last = status.lastSuccess;
  const overdue = last !== null && now - Date.parse(last.startedAt) > 2 * DAY_MS;
  return (
    <section className="berth-section" aria-labelledby="backups-last">
      <div className="berth-section__header">
        <h2 id="backups-last" className="berth-section__title">
          Last successful backup{' '}
          {last === null ? (
            <Tag type="red" size="sm">
              None yet
            </Tag>
          ) : overdue ? (
            <Tag type="red" size="sm">
              Overdue
            </Tag>
          ) : (
            <Tag type="green" size="sm">
              Current
            </Tag>
          )}
        </h2>
        {last === null ? (
          <p className="berth-section__description">
            No scheduled backup has succeeded yet.
            {status.schedule ? ` The next run is at ${status.schedule.at} UTC.` : ''}
          </p>
        ) : (
          <table className="berth-summary-table">
            <caption className="cds--visually-hidden">The last successful backup</caption>
            <tbody>
              <tr>
                <th scope="row">Taken</th>
                <td>{formatTimestamp(last.startedAt)}</td>
              </tr>
              <tr>
                <th scope="row">Size</th>
                <td>
                  {formatBytes(last.sizeBytes ?? 0)} ({pluralize(last.blobs ?? 0, 'blob')},{' '}
                  {formatBytes(last.copiedBytes ?? 0)} copied by this run)
                </td>
              </tr>
              <tr>
                <th scope="row">Where</th>
                <td>
                  <code className="berth-backups__path">
                    {last.target}/{last.backupId}
                  </code>
                </td>
              </tr>
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

function runOutcome(run: BackupRun): string {
  if (run.state === 'running') return 'Running';
  if (run.state === 'failed') return `Failed: ${run.error ?? 'no reason was recorded'}`;
  const pruned = run.pruned ? `; ${pluralize(run.pruned, 'older backup')} removed` : '';
  return `Succeeded, ${formatBytes(run.sizeBytes ?? 0)}${pruned}`;
}

function Runs({ status }: { status: BackupStatus }) {
  const { runs, schedule } = status;
  return (
    <section className="berth-section" aria-labelledby="backups-runs">
      <div className="berth-section__header">
        <h2 id="backups-runs" className="berth-section__title">
          Recent runs
        </h2>
        <p className="berth-section__description">
          {schedule ? (
            <>
              Daily at {schedule.at} UTC into{' '}
              <code className="berth-backups__path">{schedule.target}</code>, keeping the newest{' '}
              {pluralize(schedule.keep, 'backup')}.
            </>
          ) : (
            'No schedule is configured now (BERTH_BACKUP_TARGET is not set).'
          )}
        </p>
      </div>
      {runs.length > 0 ? <RunsTable runs={runs} /> : null}
    </section>
  );
}

function RunsTable({ runs }: { runs: BackupRun[] }) {
  return (
    <table className="berth-summary-table">
      <caption className="cds--visually-hidden">Recent backup runs</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Outcome</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <th scope="row">{formatTimestamp(run.startedAt)}</th>
            <td>{runOutcome(run)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BackupsPage() {
  usePageTitle('Backups');
  const data = useBackupStatus();
  const status = data.data;
  const latest = status?.runs[0];
  return (
    <>
      <PageHeader
        title="Backups"
        description="Scheduled online backups of the metadata and every blob it references, taken while Berth keeps serving. A restore brings them back whole into a new installation."
      />
      {data.isPending ? <SkeletonText paragraph lineCount={4} width="24rem" /> : null}
      {data.error ? (
        <ErrorNotification
          error={data.error}
          title="The backup status could not be read"
          onRetry={() => void data.refetch()}
        />
      ) : null}
      {status && status.schedule === null && status.runs.length === 0 ? <NotConfigured /> : null}
      {status?.unavailable ? (
        <InlineNotification
          className="berth-backups__notice"
          kind="warning"
          lowContrast
          hideCloseButton
          title="Scheduled backups cannot run here"
          subtitle={status.unavailable}
        />
      ) : null}
      {latest?.state === 'failed' ? (
        <InlineNotification
          className="berth-backups__notice"
          kind="error"
          lowContrast
          hideCloseButton
          title={`The last backup, ${formatTimestamp(latest.startedAt)}, failed`}
          subtitle={`${latest.error ?? 'No reason was recorded'}. Once it is fixed, the next scheduled run${status?.schedule ? ` (${status.schedule.at} UTC)` : ''} takes one, or ./berth backup <directory> takes one now.`}
        />
      ) : null}
      {status && (status.schedule !== null || status.runs.length > 0) ? (
        <>
          <LastSuccess status={status} now={Date.now()} />
          <Runs status={status} />
        </>
      ) : null}
    </>
  );
}
