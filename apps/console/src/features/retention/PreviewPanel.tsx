import { Button, InlineNotification, Tile } from '@carbon/react';
import { Download, TrashCan } from '@carbon/icons-react';
import {
  apiPaths,
  retentionRunResult,
  type RetentionPolicy,
  type RetentionPreview,
  type RetentionRunResult,
} from '@berth/contract';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useConfirmRetentionPreview } from '../../api/retention';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { formatBytes, formatDateTime, plural, pluralize } from '../../lib/format';
import { useBulkOutcome } from '../operations/use-bulk-outcome';
import { describeRules, rulesSource, rulesSourceSentence } from './policy-form';
import { PreviewRepositories } from './PreviewRepositories';
import { RetentionBar } from './RetentionBar';

/** The confirm button names what it does; its text is also the modal's primary button. */
export function confirmLabel(count: number): string {
  return `Move ${pluralize(count, 'image')} to trash`;
}

/** Previews expire on the server after an hour; say so when it happens, not on the click. */
function useIsPast(iso: string): boolean {
  const at = Date.parse(iso);
  const [past, setPast] = useState(() => Date.now() >= at);
  useEffect(() => {
    if (past || Number.isNaN(at)) return;
    const timer = window.setTimeout(() => setPast(true), Math.max(0, at - Date.now()));
    return () => window.clearTimeout(timer);
  }, [at, past]);
  return past;
}

function SummaryTile({
  label,
  value,
  detail,
  tone,
}: {
  label: string;
  value: string;
  detail: ReactNode;
  tone?: 'delete';
}) {
  return (
    <Tile className="berth-summary-tile">
      <p className="berth-summary-tile__label">{label}</p>
      <p
        className={`berth-summary-tile__value${tone ? ` berth-summary-tile__value--${tone}` : ''}`}
      >
        {value}
      </p>
      <p className="berth-summary-tile__detail">{detail}</p>
    </Tile>
  );
}

interface PreviewPanelProps {
  namespace: string;
  preview: RetentionPreview;
  /** The policy saved now: the preview says whether it runs on it or on other settings. */
  policy: RetentionPolicy | undefined;
  /** Also when a large confirm was handed over as an operation and that has succeeded. */
  onConfirmed: (result: RetentionRunResult) => void;
  /** A large confirm became an operation: the page shows its progress instead. */
  onAccepted: () => void;
  onPreviewAgain: () => void;
  isPreviewing: boolean;
}

export function PreviewPanel({
  namespace,
  preview,
  policy,
  onConfirmed,
  onAccepted,
  onPreviewAgain,
  isPreviewing,
}: PreviewPanelProps) {
  const confirm = useConfirmRetentionPreview();
  const settle = useBulkOutcome();
  const [confirming, setConfirming] = useState(false);
  const expired = useIsPast(preview.expiresAt);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  // The shared modal does not hand focus back; without this it falls to <body>.
  const closeModal = (focusTo: 'button' | 'heading') => {
    setConfirming(false);
    window.requestAnimationFrame(() =>
      (focusTo === 'button' ? confirmRef : headingRef).current?.focus(),
    );
  };
  const { totals } = preview;
  const { repositoriesWithDeletes } = totals;
  // These answers mean the preview itself is spent: only a new one can go ahead.
  const spent =
    confirm.error?.code === 'PREVIEW_EXPIRED' ||
    confirm.error?.code === 'PREVIEW_ALREADY_CONFIRMED' ||
    confirm.error?.code === 'PREVIEW_UNKNOWN';

  // A new preview moves the reader to it: on a phone it is below the form.
  useEffect(() => {
    headingRef.current?.focus();
  }, [preview.id]);

  const run = () =>
    confirm.mutate(
      { namespace, preview },
      {
        onSuccess: (answer) => {
          setConfirming(false);
          settle(answer, retentionRunResult, onConfirmed, onAccepted);
        },
        onError: (error) => {
          if (
            error.code === 'PREVIEW_EXPIRED' ||
            error.code === 'PREVIEW_ALREADY_CONFIRMED' ||
            error.code === 'PREVIEW_UNKNOWN'
          ) {
            closeModal('heading');
          }
        },
      },
    );

  return (
    <section className="berth-section" aria-labelledby="retention-preview-title">
      <div className="berth-section__header">
        <h2
          id="retention-preview-title"
          className="berth-section__title"
          tabIndex={-1}
          ref={headingRef}
        >
          Preview
        </h2>
        {policy ? (
          <p
            className={`berth-preview-source${rulesSource(preview.rules, policy) === 'unsaved' ? ' berth-preview-source--unsaved' : ''}`}
          >
            <strong>{rulesSourceSentence('Previewing', preview.rules, policy)}.</strong>{' '}
            {rulesSource(preview.rules, policy) === 'unsaved'
              ? 'Confirming runs once with these settings; save the policy to keep them.'
              : null}
          </p>
        ) : null}
        <p className="berth-section__description">
          {describeRules(preview.rules)} Nothing has changed yet.{' '}
          <span className="berth-nowrap">
            Valid until{' '}
            <time dateTime={preview.expiresAt}>{formatDateTime(preview.expiresAt)}</time>.
          </span>
        </p>
      </div>

      {expired || spent ? (
        <>
          <InlineNotification
            hideCloseButton
            kind="warning"
            lowContrast
            title={
              confirm.error?.code === 'PREVIEW_ALREADY_CONFIRMED'
                ? 'This preview was already confirmed'
                : 'This preview has expired'
            }
          >
            {spent && confirm.error
              ? confirm.error.message
              : 'Previews can be confirmed for one hour.'}{' '}
            Preview again to see what the rules delete now.
          </InlineNotification>
          <div className="berth-outcome-actions">
            <Button kind="primary" size="md" disabled={isPreviewing} onClick={onPreviewAgain}>
              {isPreviewing ? 'Previewing…' : 'Preview again'}
            </Button>
          </div>
        </>
      ) : null}

      <div className="berth-summary-tiles">
        <SummaryTile
          label="Images to delete"
          value={totals.delete.toLocaleString()}
          tone={totals.delete > 0 ? 'delete' : undefined}
          detail={
            totals.delete > 0
              ? `${formatBytes(totals.deleteBytes)} in ${pluralize(repositoriesWithDeletes, 'repository', 'repositories')}`
              : 'Every image is within the rules'
          }
        />
        <SummaryTile
          label="Storage reclaimed"
          value={formatBytes(totals.reclaimBytes)}
          detail="Freed when these images leave the trash"
        />
        <SummaryTile
          label="Protected"
          value={totals.protected.toLocaleString()}
          detail={
            preview.rules.protectUnscannedDays === null
              ? 'Matched by a protected pattern or used by a project: never deleted'
              : 'Matched by a protected pattern, used by a project or not scanned recently: never deleted'
          }
        />
        <SummaryTile
          label="Kept"
          value={totals.keep.toLocaleString()}
          detail={`of ${pluralize(totals.images, 'image')} in ${pluralize(totals.repositories, 'repository', 'repositories')}`}
        />
      </div>
      <div className="berth-retention-overall">
        <span className="berth-retention-overall__label" aria-hidden>
          Whole namespace
        </span>
        <RetentionBar counts={totals} wide />
      </div>

      <div className="berth-retention-actions">
        <Button
          ref={confirmRef}
          kind="danger"
          renderIcon={TrashCan}
          disabled={totals.delete === 0 || expired || spent || preview.runId !== null}
          onClick={() => {
            confirm.reset();
            setConfirming(true);
          }}
        >
          {confirmLabel(totals.delete)}
        </Button>
        <Button
          as="a"
          kind="tertiary"
          renderIcon={Download}
          href={apiPaths.retentionPreviewCsv(namespace, preview.id)}
          download
        >
          Download CSV
        </Button>
        {totals.delete === 0 ? (
          <span className="berth-muted" role="status">
            Nothing to delete: every repository is within the rules.
          </span>
        ) : null}
      </div>

      <PreviewRepositories namespace={namespace} preview={preview} />

      {confirming ? (
        <DangerConfirmModal
          title={`Move ${pluralize(totals.delete, 'image')} to the trash?`}
          label={`Retention in ${namespace}`}
          primaryText={confirmLabel(totals.delete)}
          isPending={confirm.isPending}
          error={spent ? null : confirm.error}
          onConfirm={run}
          onClose={() => closeModal('button')}
        >
          <p>
            {pluralize(totals.delete, 'image')} ({formatBytes(totals.deleteBytes)}) from{' '}
            {pluralize(repositoriesWithDeletes, 'repository', 'repositories')}{' '}
            {plural(totals.delete, 'moves', 'move')} to the trash of {namespace}.{' '}
            {pluralize(totals.keep + totals.protected, 'image')}{' '}
            {plural(totals.keep + totals.protected, 'stays', 'stay')}.
          </p>
          <p>
            {plural(totals.delete, 'It stays', 'They stay')} in the trash for 30 days and can be
            restored,{' '}
            {plural(
              totals.delete,
              'with Undo or Restore run',
              'all together with Undo or Restore run, or one by one',
            )}{' '}
            from the Trash. After that, {formatBytes(totals.reclaimBytes)} of storage is freed.
          </p>
          <p>Images pushed, retagged or restored since this preview are skipped, not deleted.</p>
        </DangerConfirmModal>
      ) : null}
    </section>
  );
}
