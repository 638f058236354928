import { Button, InlineLoading } from '@carbon/react';
import type { GcReport } from '@berth/contract';
import { useEffect, useRef, useState, type Ref } from 'react';
import { useGcDryRun, useRunGc } from '../../api/gc';
import { useIsAdmin } from '../../app/access';
import { ErrorNotification } from '../../components/ErrorNotification';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { PageHeader } from '../../components/PageHeader';
import './gc.scss';
import { formatBytes, formatTimestamp, pluralize } from '../../lib/format';
import { usePageTitle } from '../../lib/page-title';

/** The report's parts as a person reads them: what kind of file, how many, how much space. */
function reportLines(report: GcReport) {
  return [
    {
      what: 'Unreferenced blobs',
      explain: 'layers and configs no image uses, live or in a trash',
      number: report.blobs,
      count: pluralize(report.blobs, 'blob'),
      bytes: report.bytes,
    },
    {
      what: 'Abandoned uploads',
      explain: 'pushes that stopped and were not resumed within their time to live',
      number: report.uploads,
      count: pluralize(report.uploads, 'upload'),
      bytes: report.uploadBytes,
    },
    {
      what: 'Leftover staging files',
      explain: 'partial files of uploads a stopped server or a full disk interrupted',
      number: report.strayFiles,
      count: pluralize(report.strayFiles, 'file'),
      bytes: report.strayBytes,
    },
  ];
}

function totalBytes(report: GcReport): number {
  return report.bytes + report.uploadBytes + report.strayBytes;
}

function isEmpty(report: GcReport): boolean {
  return (
    report.blobs === 0 && report.uploads === 0 && report.strayFiles === 0 && report.staleLinks === 0
  );
}

/** One sentence for what a report frees: the figure a person looks for first. */
function headline(report: GcReport): string {
  const size = formatBytes(totalBytes(report));
  if (report.dryRun) return isEmpty(report) ? 'Nothing to free' : `Would free ${size}`;
  return isEmpty(report) ? 'Nothing was removed' : `Freed ${size}`;
}

function ReportTable({ report, caption }: { report: GcReport; caption: string }) {
  return (
    <table className="berth-summary-table berth-gc-table">
      <caption className="cds--visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">Count</th>
          <th scope="col">Space</th>
        </tr>
      </thead>
      <tbody>
        {reportLines(report).map((line) => (
          <tr key={line.what}>
            <th scope="row">
              {line.what}
              <span className="berth-gc-table__explain">{line.explain}</span>
            </th>
            <td>{line.count}</td>
            <td>{formatBytes(line.bytes)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Total</th>
          <td />
          <td>{formatBytes(totalBytes(report))}</td>
        </tr>
      </tfoot>
    </table>
  );
}

function ReportSection({
  report,
  title,
  headingRef,
}: {
  report: GcReport;
  title: string;
  headingRef?: Ref<HTMLHeadingElement>;
}) {
  const when = formatTimestamp(report.finishedAt);
  return (
    <section className="berth-section" aria-labelledby={`gc-${report.dryRun ? 'dry' : 'run'}`}>
      <div className="berth-section__header">
        <h2
          id={`gc-${report.dryRun ? 'dry' : 'run'}`}
          className="berth-section__title"
          ref={headingRef}
          tabIndex={-1}
        >
          {title}: {headline(report)}
        </h2>
        <p className="berth-section__description">
          {report.dryRun ? `Checked ${when}. ` : `Finished ${when}. `}
          {isEmpty(report)
            ? report.dryRun
              ? 'Every blob is used by an image or was linked too recently to collect, and no upload is abandoned.'
              : 'There was nothing to remove.'
            : report.staleLinks > 0
              ? `${pluralize(report.staleLinks, 'repository link')} to blobs no image uses ${report.dryRun ? 'would be' : 'were'} dropped too.`
              : null}
        </p>
      </div>
      {isEmpty(report) ? null : <ReportTable report={report} caption={title} />}
    </section>
  );
}

function ConfirmRun({
  dryRun,
  onClose,
  onDone,
}: {
  dryRun: GcReport;
  onClose: () => void;
  onDone: (report: GcReport) => void;
}) {
  const run = useRunGc();
  const lines = reportLines(dryRun).filter((line) => line.number > 0);
  return (
    <DangerConfirmModal
      title="Run garbage collection?"
      primaryText="Run garbage collection"
      isPending={run.isPending}
      error={run.error}
      onClose={onClose}
      onConfirm={() => run.mutate(undefined, { onSuccess: onDone })}
    >
      <p>
        This permanently deletes these files from the blob storage. Nothing can restore them;
        images, tags and the trash are not touched.
      </p>
      {lines.length > 0 ? (
        <ul className="berth-outcome-list">
          {lines.map((line) => (
            <li key={line.what}>
              {line.what}: {line.count} ({formatBytes(line.bytes)})
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        These are the figures of the dry run at {formatTimestamp(dryRun.finishedAt)}. Files that
        became unused since are removed too.
      </p>
    </DangerConfirmModal>
  );
}

export function GcPage() {
  usePageTitle('Garbage collection');
  const isAdmin = useIsAdmin();
  const [asked, setAsked] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<GcReport | null>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);
  const dryRun = useGcDryRun(isAdmin && asked);
  // After a run the modal has gone and focus would be on the button that opened it: move it
  // to what the run did.
  useEffect(() => {
    if (result) resultHeading.current?.focus();
  }, [result]);
  const description =
    'Removes blob files that no image uses any more, uploads that were abandoned, and files that interrupted uploads left behind. Berth also does this on its own, every hour by default. Images, tags and the trash are not touched.';

  if (!isAdmin) {
    return (
      <>
        <PageHeader title="Garbage collection" />
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">Not available</h2>
          <p className="berth-empty__body">
            Garbage collection is for administrators. Ask one of them if storage needs freeing.
          </p>
        </div>
      </>
    );
  }

  const checking = dryRun.isFetching;
  const report = dryRun.data;
  const canRun = report !== undefined && !checking && !isEmpty(report);
  return (
    <>
      <PageHeader
        title="Garbage collection"
        description={description}
        actions={
          <div className="berth-outcome-actions">
            <Button
              kind={report ? 'tertiary' : 'primary'}
              disabled={checking}
              onClick={() => (asked ? void dryRun.refetch() : setAsked(true))}
            >
              {report ? 'Dry run again' : 'Dry run'}
            </Button>
            {/* Only once a dry run found something: the person knows what a run removes. */}
            {canRun ? (
              <Button kind="danger" onClick={() => setConfirming(true)}>
                Run garbage collection
              </Button>
            ) : null}
          </div>
        }
      />
      {checking ? (
        <InlineLoading
          className="berth-gc-checking"
          description="Checking every blob…"
          aria-live="polite"
        />
      ) : null}
      {dryRun.error && !checking ? (
        <ErrorNotification
          error={dryRun.error}
          title="The dry run failed"
          onRetry={() => void dryRun.refetch()}
        />
      ) : null}
      {result ? (
        <ReportSection report={result} title="Last run" headingRef={resultHeading} />
      ) : null}
      {report && !checking ? <ReportSection report={report} title="Dry run" /> : null}
      {!asked ? (
        <div className="berth-empty">
          <h2 className="berth-empty__title">See what it would free first</h2>
          <p className="berth-empty__body">
            A dry run counts what a run would remove without removing anything. Then you can run it.
          </p>
        </div>
      ) : null}
      {confirming && report ? (
        <ConfirmRun
          dryRun={report}
          onClose={() => setConfirming(false)}
          onDone={(done) => {
            setConfirming(false);
            setResult(done);
          }}
        />
      ) : null}
    </>
  );
}
