import { SkeletonText, Tag } from '@carbon/react';
import type { AdvisoryDataStatus } from '@berth/contract';
import { useAdvisoryData } from '../../api/advisories';
import { ErrorNotification } from '../../components/ErrorNotification';
import { PageHeader } from '../../components/PageHeader';
import { formatTimestamp, pluralize } from '../../lib/format';
import { usePageTitle } from '../../lib/page-title';

const DAY_MS = 86_400_000;
/** Distributions publish fixes daily: data a week old misses what a scan should report. */
const STALE_AFTER_DAYS = 7;

const IMPORT_COMMAND = './berth advisories import <file.zip|directory>';

/** "3 days old", in whole days: the figure an administrator checks before trusting a scan. */
export function ageInDays(iso: string, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(iso)) / DAY_MS));
}

function Age({ status, now }: { status: AdvisoryDataStatus; now: number }) {
  if (!status.newestModified) return null;
  const days = ageInDays(status.newestModified, now);
  const stale = days >= STALE_AFTER_DAYS;
  return (
    <section className="berth-section" aria-labelledby="advisories-age">
      <div className="berth-section__header">
        <h2 id="advisories-age" className="berth-section__title">
          {days === 0 ? 'Updated today' : `${pluralize(days, 'day')} old`}{' '}
          {stale ? (
            <Tag type="red" size="sm">
              Out of date
            </Tag>
          ) : (
            <Tag type="green" size="sm">
              Current
            </Tag>
          )}
        </h2>
        <p className="berth-section__description">
          The newest advisory was changed {formatTimestamp(status.newestModified)}.{' '}
          {stale
            ? `Advisories published since are not matched: import a newer export with ${IMPORT_COMMAND}.`
            : 'Import a newer export regularly; advisories published since are not matched until then.'}
        </p>
      </div>
    </section>
  );
}

function LastImport({ status }: { status: AdvisoryDataStatus }) {
  const last = status.lastImport;
  if (!last) return null;
  return (
    <section className="berth-section" aria-labelledby="advisories-last-import">
      <div className="berth-section__header">
        <h2 id="advisories-last-import" className="berth-section__title">
          Last import
        </h2>
        <p className="berth-section__description">
          {formatTimestamp(last.finishedAt)} from <code>{last.source}</code>:{' '}
          {pluralize(last.added, 'new advisory', 'new advisories')},{' '}
          {pluralize(last.updated, 'updated one', 'updated ones')},{' '}
          {pluralize(last.unchanged, 'already current', 'already current')},{' '}
          {pluralize(last.skipped, 'record', 'records')} skipped.
        </p>
      </div>
    </section>
  );
}

function Ecosystems({ status }: { status: AdvisoryDataStatus }) {
  return (
    <table className="berth-summary-table">
      <caption className="cds--visually-hidden">Advisories by ecosystem</caption>
      <thead>
        <tr>
          <th scope="col">Ecosystem</th>
          <th scope="col">Advisories</th>
        </tr>
      </thead>
      <tbody>
        {status.ecosystems.map((e) => (
          <tr key={e.ecosystem}>
            <th scope="row">{e.ecosystem}</th>
            <td>{e.advisories.toLocaleString('en')}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">All</th>
          <td>{status.advisories.toLocaleString('en')}</td>
        </tr>
      </tfoot>
    </table>
  );
}

export function AdvisoriesPage() {
  usePageTitle('Advisory data');
  const data = useAdvisoryData();
  const description =
    'The security advisories (OSV format) that image scans are matched against. Berth works without internet access, so an administrator imports them from the exports osv.dev publishes per ecosystem.';
  return (
    <>
      <PageHeader title="Advisory data" description={description} />
      {data.isPending ? <SkeletonText paragraph lineCount={4} width="24rem" /> : null}
      {data.error ? (
        <ErrorNotification
          error={data.error}
          title="The advisory data could not be read"
          onRetry={() => void data.refetch()}
        />
      ) : null}
      {data.data && data.data.advisories === 0 ? (
        <div className="berth-empty">
          <h2 className="berth-empty__title">No advisory data yet</h2>
          <p className="berth-empty__body">
            Download an export such as Debian&apos;s <code>all.zip</code> from osv.dev on a machine
            with internet access, copy it here, and run <code>{IMPORT_COMMAND}</code>. Importing
            again later adds only what changed.
          </p>
        </div>
      ) : null}
      {data.data && data.data.advisories > 0 ? (
        <>
          <Age status={data.data} now={Date.now()} />
          <LastImport status={data.data} />
          <Ecosystems status={data.data} />
        </>
      ) : null}
    </>
  );
}
