import {
  Button,
  InlineNotification,
  TableBody,
  TableCell,
  TableContainer,
  TableRow,
  Tag,
} from '@carbon/react';
import {
  retentionRunRestored,
  type RetentionRun,
  type RetentionRunRestored,
} from '@berth/contract';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { useRestoreRetentionRun, useRetentionRuns } from '../../api/retention';
import { routePaths } from '../../app/route-paths';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { ErrorNotification } from '../../components/ErrorNotification';
import { LoadMore } from '../../components/LoadMore';
import { TableHeaderRow } from '../../components/TableHeaderRow';
import { ResourceTableState } from '../../components/ResourceTableState';
import { formatBytes, formatDateTime, plural, pluralize } from '../../lib/format';
import { useBulkOutcome } from '../operations/use-bulk-outcome';
import { RestoredSummary, restoredTitle } from './RunOutcome';
import { useRunRestoredToast } from './use-run-restored-toast';
import { StackingTable } from '../../components/StackingTable';
import { ScrollRegion } from '../../components/ScrollRegion';

const HEADERS = ['Run', 'Trigger', 'Deleted', 'Size', 'Skipped', 'Still in trash'];

export function describeTrigger(run: RetentionRun): string {
  return run.trigger === 'schedule' ? 'Policy (scheduled)' : `Preview by ${run.actor}`;
}

function RunStatus({ run }: { run: RetentionRun }) {
  if (run.status === 'running') {
    return (
      <Tag type="blue" size="sm">
        running
      </Tag>
    );
  }
  if (run.status === 'failed') {
    return (
      <Tag type="red" size="sm" title={run.error ?? undefined}>
        failed
      </Tag>
    );
  }
  return null;
}

interface RunHistoryProps {
  namespace: string;
  /** Restoring a run is restoring from the trash: a writer's action, like any restore. */
  canRestore: boolean;
}

export function RunHistory({ namespace, canRestore }: RunHistoryProps) {
  const headers = canRestore ? [...HEADERS, ''] : HEADERS;
  const list = useRetentionRuns(namespace);
  const restore = useRestoreRetentionRun();
  const settle = useBulkOutcome();
  const toastRunRestored = useRunRestoredToast();
  const [restoring, setRestoring] = useState<RetentionRun | null>(null);
  const [outcome, setOutcome] = useState<RetentionRunRestored | null>(null);
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const trigger = useRef<HTMLElement | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  // The shared modal does not hand focus back: to the button that opened it, or to the
  // outcome once that button is disabled because nothing of the run is left in the trash.
  const closeModal = (focusTo: 'trigger' | 'outcome') => {
    setRestoring(null);
    window.requestAnimationFrame(() =>
      (focusTo === 'trigger' ? trigger.current : outcomeRef.current)?.focus(),
    );
  };

  return (
    <section className="berth-section" aria-labelledby="retention-runs-title">
      <div className="berth-section__header">
        <h2 id="retention-runs-title" className="berth-section__title">
          Run history
        </h2>
        <p className="berth-section__description">
          Every confirmed preview and scheduled run, newest first. Restoring a run brings back its
          images that are still in the trash.
        </p>
      </div>
      {outcome ? (
        <div className="berth-restore-result" tabIndex={-1} ref={outcomeRef}>
          <InlineNotification
            kind={outcome.skippedTags.length > 0 ? 'warning' : 'success'}
            lowContrast
            title={restoredTitle(outcome)}
            onClose={() => {
              setOutcome(null);
              return false;
            }}
          >
            <RestoredSummary restored={outcome} />
          </InlineNotification>
        </div>
      ) : null}
      {restore.error && !restoring ? (
        <ErrorNotification error={restore.error} title="Run not restored" />
      ) : null}
      <TableContainer>
        <ResourceTableState
          isPending={list.isPending}
          error={list.error}
          isEmpty={rows.length === 0}
          isFiltered={false}
          columnCount={headers.length}
          emptyTitle="No retention runs yet"
          emptyBody={
            <p>
              A confirmed preview or a daily run is recorded here with what it moved to the trash,
              and can be restored.
            </p>
          }
          onRetry={() => void list.refetch()}
        >
          <ScrollRegion label={`Retention runs of ${namespace}, scrollable`}>
            <StackingTable aria-label={`Retention runs of ${namespace}`} size="md">
              <TableHeaderRow headers={headers} />
              <TableBody>
                {rows.map((run) => (
                  <TableRow key={run.id}>
                    <TableCell>
                      <span className="berth-stacked">
                        <span>
                          #{run.id} <RunStatus run={run} />
                        </span>
                        <time className="berth-muted" dateTime={run.startedAt}>
                          {formatDateTime(run.startedAt)}
                        </time>
                      </span>
                    </TableCell>
                    <TableCell>{describeTrigger(run)}</TableCell>
                    <TableCell>{pluralize(run.deletedImages, 'image')}</TableCell>
                    <TableCell>{formatBytes(run.deletedBytes)}</TableCell>
                    <TableCell>{run.skippedImages.toLocaleString()}</TableCell>
                    <TableCell>
                      {run.inTrash > 0 ? (
                        <Link
                          className="cds--link"
                          to={routePaths.trash(namespace, undefined, run.id)}
                          aria-label={`${pluralize(run.inTrash, 'image')} of run #${run.id} in the trash`}
                        >
                          {pluralize(run.inTrash, 'image')}
                        </Link>
                      ) : (
                        <span className="berth-muted">none</span>
                      )}
                    </TableCell>
                    {canRestore ? (
                      <TableCell>
                        <Button
                          kind="ghost"
                          size="sm"
                          // A run still being applied cannot be restored half-way.
                          disabled={
                            run.status === 'running' || run.inTrash === 0 || restore.isPending
                          }
                          aria-label={`Restore run #${run.id}`}
                          onClick={(event) => {
                            trigger.current = event.currentTarget;
                            restore.reset();
                            setOutcome(null);
                            setRestoring(run);
                          }}
                        >
                          Restore run
                        </Button>
                      </TableCell>
                    ) : null}
                  </TableRow>
                ))}
              </TableBody>
            </StackingTable>
          </ScrollRegion>
        </ResourceTableState>
        <LoadMore shown={rows.length} noun="run" list={list} />
      </TableContainer>
      {restoring ? (
        <DangerConfirmModal
          danger={false}
          title={`Restore run #${restoring.id}?`}
          label={`${describeTrigger(restoring)}, ${formatDateTime(restoring.startedAt)}`}
          primaryText={`Restore ${pluralize(restoring.inTrash, 'image')}`}
          isPending={restore.isPending}
          error={restore.error}
          onClose={() => closeModal('trigger')}
          onConfirm={() =>
            restore.mutate(
              { namespace, runId: restoring.id },
              {
                onSuccess: (answer) => {
                  settle(answer, retentionRunRestored, (result) => {
                    setOutcome(result);
                    // Ended later, as an operation: the person may have left this page.
                    if (answer.kind === 'accepted') toastRunRestored(result);
                  });
                  closeModal(answer.kind === 'done' ? 'outcome' : 'trigger');
                },
              },
            )
          }
        >
          <p>
            {pluralize(restoring.inTrash, 'image')} of this run{' '}
            {plural(
              restoring.inTrash,
              'is still in the trash and goes back to its repository with the tags it had.',
              'are still in the trash and go back to their repositories with the tags they had.',
            )}
          </p>
          <p>
            A tag that another image has taken since stays with that image; the result lists every
            such tag.
          </p>
        </DangerConfirmModal>
      ) : null}
    </section>
  );
}
