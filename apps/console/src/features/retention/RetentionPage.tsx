import { ButtonSkeleton, NumberInputSkeleton, TextInputSkeleton } from '@carbon/react';
import {
  retentionRunRestored,
  retentionRunResult,
  type RetentionPreview,
  type RetentionRules,
  type RetentionRunRestored,
  type RetentionRunResult,
} from '@berth/contract';
import { useRef, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { toApiError } from '../../api/client';
import {
  useCreateRetentionPreview,
  useRestoreRetentionRun,
  useRetentionPolicy,
} from '../../api/retention';
import { useNamespaceAccess } from '../../app/access';
import { useToasts } from '../../app/ToastProvider';
import { ErrorNotification } from '../../components/ErrorNotification';
import {
  NamespaceNotFound,
  NamespacePicker,
  useDefaultNamespace,
} from '../../components/NamespacePicker';
import { PageHeader } from '../../components/PageHeader';
import { NamespaceQuota } from '../storage/NamespaceQuota';
import { formatBytes, plural, pluralize } from '../../lib/format';
import { OperationsInProgress } from '../operations/OperationsInProgress';
import { tellResultOf, useBulkOutcome } from '../operations/use-bulk-outcome';
import { PolicyForm } from './PolicyForm';
import { PreviewPanel } from './PreviewPanel';
import { RunHistory } from './RunHistory';
import { RunOutcome } from './RunOutcome';
import { useRunRestoredToast } from './use-run-restored-toast';
import { usePageTitle } from '../../lib/page-title';

function PolicySkeleton() {
  return (
    <div className="berth-retention-form" aria-busy="true" aria-label="Loading the policy">
      <div className="berth-retention-form__grid">
        <NumberInputSkeleton />
        <TextInputSkeleton />
        <TextInputSkeleton />
        <TextInputSkeleton />
      </div>
      <ButtonSkeleton />
    </div>
  );
}

/**
 * One namespace's retention: the form previews (and saves) rules, a preview is confirmed
 * into a run, and a run can be undone; the run history below lists every run.
 */
function RetentionWorkspace({ namespace, picker }: { namespace: string; picker: ReactNode }) {
  const toasts = useToasts();
  const { canManage, canWrite } = useNamespaceAccess(namespace);
  const policy = useRetentionPolicy(namespace);
  const createPreview = useCreateRetentionPreview();
  const restore = useRestoreRetentionRun();
  const settle = useBulkOutcome();
  const toastRunRestored = useRunRestoredToast();
  const [preview, setPreview] = useState<RetentionPreview | null>(null);
  const [result, setResult] = useState<RetentionRunResult | null>(null);
  const [restored, setRestored] = useState<RetentionRunRestored | null>(null);
  const resultToast = useRef<number | null>(null);

  const runPreview = (rules: RetentionRules) => {
    createPreview.mutate(
      { namespace, rules },
      {
        onSuccess: (next) => {
          setPreview(next);
          setResult(null);
          setRestored(null);
          restore.reset();
        },
      },
    );
  };

  const tellRestored = (result: RetentionRunRestored) => {
    setRestored(result);
    toastRunRestored(result);
  };

  // mutateAsync rather than mutate: the toast's Undo may be used after leaving the page,
  // and its answer must still reach the person.
  const undo = (runId: string, images: number) => {
    if (resultToast.current !== null) toasts.dismiss(resultToast.current);
    resultToast.current = null;
    restore
      .mutateAsync({ namespace, runId })
      .then((answer) => settle(answer, retentionRunRestored, tellRestored))
      .catch((error: unknown) =>
        toasts.show({
          kind: 'error',
          title: 'Undo failed',
          subtitle: `${toApiError(error).message} ${plural(images, 'The image is', 'The images are')} still in the trash; restore the run from the run history.`,
        }),
      );
  };

  const confirmed = (answer: RetentionRunResult) => {
    setResult(answer);
    setPreview(null);
    setRestored(null);
    const { run } = answer;
    if (run.deletedImages === 0) return;
    resultToast.current = toasts.show({
      kind: 'success',
      title: `Moved ${pluralize(run.deletedImages, 'image')} to the trash`,
      subtitle: `${formatBytes(run.deletedBytes)} by retention run #${run.id}. Restorable for 30 days.${
        run.skippedImages > 0
          ? ` ${pluralize(run.skippedImages, 'image')} changed since the preview and stayed.`
          : ''
      }`,
      action: { label: 'Undo', onClick: () => undo(run.id, run.deletedImages) },
    });
  };

  return (
    <>
      <div className="berth-filters">{picker}</div>
      <NamespaceQuota
        namespace={namespace}
        note="Images moved to the trash stop counting toward it at once."
      />
      <section className="berth-section" aria-labelledby="retention-policy-title">
        <div className="berth-section__header">
          <h2 id="retention-policy-title" className="berth-section__title">
            Policy
          </h2>
          <p className="berth-section__description">
            Keep the most recent images of each repository in {namespace} and move the rest to the
            trash. Preview first: nothing is deleted until you confirm, or until the daily run you
            switch on.
          </p>
        </div>
        {policy.error ? (
          <ErrorNotification
            error={policy.error}
            title="The retention policy could not be loaded"
            onRetry={() => void policy.refetch()}
          />
        ) : policy.data ? (
          <PolicyForm
            namespace={namespace}
            policy={policy.data}
            onPreview={runPreview}
            isPreviewing={createPreview.isPending}
            previewError={createPreview.error}
            readOnly={!canManage}
          />
        ) : (
          <PolicySkeleton />
        )}
      </section>
      <OperationsInProgress
        namespace={namespace}
        kinds={['retention.confirm', 'retention.run.restore']}
        onSucceeded={(finished) =>
          tellResultOf('retention.confirm', retentionRunResult, confirmed)(finished) ||
          tellResultOf('retention.run.restore', retentionRunRestored, tellRestored)(finished)
        }
      />
      {preview ? (
        <PreviewPanel
          key={preview.id}
          namespace={namespace}
          preview={preview}
          policy={policy.data}
          onConfirmed={confirmed}
          onAccepted={() => setPreview(null)}
          onPreviewAgain={() => runPreview(preview.rules)}
          isPreviewing={createPreview.isPending}
        />
      ) : null}
      {result ? (
        <RunOutcome
          namespace={namespace}
          policy={policy.data}
          result={result}
          restored={restored}
          isUndoing={restore.isPending}
          undoError={restore.error}
          onUndo={() => undo(result.run.id, result.run.deletedImages)}
          onClose={() => {
            setResult(null);
            setRestored(null);
          }}
        />
      ) : null}
      <RunHistory namespace={namespace} canRestore={canWrite} />
    </>
  );
}

export function RetentionPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const { namespace, notFound, isPending } = useDefaultNamespace(searchParams.get('namespace'));
  usePageTitle('Retention', namespace);
  const picker = (
    <NamespacePicker
      id="retention-namespace"
      value={namespace ?? ''}
      onChange={(next) => setSearchParams({ namespace: next })}
    />
  );

  return (
    <>
      <PageHeader
        title="Retention"
        description="Keep the newest images of every repository and move older ones to the trash, once after a preview or every day on a schedule."
      />
      {namespace ? (
        <RetentionWorkspace key={namespace} namespace={namespace} picker={picker} />
      ) : isPending ? (
        <div className="berth-filters">{picker}</div>
      ) : notFound ? (
        <>
          <div className="berth-filters">{picker}</div>
          <NamespaceNotFound namespace={notFound} />
        </>
      ) : (
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">No namespaces in this region</h2>
          <p className="berth-empty__body">
            Create a namespace, or switch region in the header, to set its retention.
          </p>
        </div>
      )}
    </>
  );
}
