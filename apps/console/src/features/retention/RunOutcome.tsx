import { Button, InlineNotification } from '@carbon/react';
import type { RetentionPolicy, RetentionRunRestored, RetentionRunResult } from '@berth/contract';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import type { ApiError } from '../../api/client';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatBytes, plural, pluralize, shortDigest } from '../../lib/format';
import { rulesSourceSentence } from './policy-form';

const LIST_LIMIT = 5;

/** The first few entries of a long list and how many more there are, counted from `total`. */
function ShortList<T>({
  items,
  total,
  label,
  render,
}: {
  items: T[];
  total: number;
  label: string;
  render: (item: T) => React.ReactNode;
}) {
  const more = total - Math.min(items.length, LIST_LIMIT);
  return (
    <ul className="berth-outcome-list" aria-label={label}>
      {items.slice(0, LIST_LIMIT).map((item, index) => (
        <li key={index}>{render(item)}</li>
      ))}
      {more > 0 ? <li className="berth-muted">and {more.toLocaleString()} more</li> : null}
    </ul>
  );
}

/** What a restore of a run brought back, and every tag it could not. */
export function RestoredSummary({ restored }: { restored: RetentionRunRestored }) {
  return (
    <div className="berth-restore-summary">
      <p>
        {pluralize(restored.restored, 'image')} back in{' '}
        {plural(restored.restored, 'its repository', 'their repositories')}
        {restored.skippedTags.length === 0
          ? plural(restored.restored, ' with its tags', ' with their tags')
          : ''}
        .
        {restored.notInTrash > 0
          ? ` ${pluralize(restored.notInTrash, 'image')} of the run had already left the trash (restored or purged before).`
          : ''}
      </p>
      {restored.skippedTags.length > 0 ? (
        <ShortList
          items={restored.skippedTags}
          total={restored.skippedTags.length}
          label="Tags not restored"
          render={(skipped) => (
            <>
              Tag <strong>{skipped.tag}</strong> of {skipped.repository}@
              {shortDigest(skipped.digest)} not restored: {skipped.reason}
            </>
          )}
        />
      ) : null}
    </div>
  );
}

export function restoredTitle(restored: RetentionRunRestored): string {
  return `Restored ${pluralize(restored.restored, 'image')} from run #${restored.runId}`;
}

interface RunOutcomeProps {
  namespace: string;
  /** The policy saved now, to say whether the run used it or settings nobody saved. */
  policy: RetentionPolicy | undefined;
  result: RetentionRunResult;
  restored: RetentionRunRestored | null;
  isUndoing: boolean;
  undoError: ApiError | null;
  onUndo: () => void;
  onClose: () => void;
}

/** The answer to a confirmed preview, with Undo until it is used. */
export function RunOutcome({
  namespace,
  policy,
  result,
  restored,
  isUndoing,
  undoError,
  onUndo,
  onClose,
}: RunOutcomeProps) {
  const { run, skipped } = result;
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The confirm button went away with its preview; the reader lands on what happened.
  useEffect(() => {
    headingRef.current?.focus();
  }, [run.id]);

  return (
    <section className="berth-section" aria-labelledby="retention-result-title">
      <div className="berth-section__header">
        <h2
          id="retention-result-title"
          className="berth-section__title"
          tabIndex={-1}
          ref={headingRef}
        >
          Result of run #{run.id}
        </h2>
      </div>
      {restored ? (
        <InlineNotification
          kind={restored.skippedTags.length > 0 ? 'warning' : 'success'}
          lowContrast
          title={restoredTitle(restored)}
          onClose={() => {
            onClose();
            return false;
          }}
        >
          <RestoredSummary restored={restored} />
        </InlineNotification>
      ) : (
        <InlineNotification
          kind={run.status === 'failed' ? 'error' : skipped.length > 0 ? 'warning' : 'success'}
          lowContrast
          title={`Moved ${pluralize(run.deletedImages, 'image')} to the trash`}
          onClose={() => {
            onClose();
            return false;
          }}
        >
          <div className="berth-restore-summary">
            <p>{formatBytes(run.deletedBytes)}, restorable for 30 days.</p>
            {policy ? <p>{rulesSourceSentence('Ran with', run.rules, policy)}.</p> : null}
            {run.error ? <p>{run.error}</p> : null}
            {run.skippedImages > 0 ? (
              <>
                <p>
                  Skipped {pluralize(run.skippedImages, 'image')} that changed since the preview:
                </p>
                <ShortList
                  items={skipped}
                  total={run.skippedImages}
                  label="Skipped images"
                  render={(image) => (
                    <>
                      {image.repository}@{shortDigest(image.digest)}
                      {image.tags.length > 0 ? ` (${image.tags.join(', ')})` : ''}: {image.reason}
                    </>
                  )}
                />
              </>
            ) : null}
          </div>
        </InlineNotification>
      )}
      {!restored && run.deletedImages > 0 ? (
        // Beside the notification, not in it: Carbon's InlineNotification refuses interactive
        // children, and ActionableNotification traps focus (role alertdialog).
        <div className="berth-outcome-actions">
          <Button kind="primary" size="md" disabled={isUndoing} onClick={onUndo}>
            {isUndoing ? 'Undoing…' : 'Undo'}
          </Button>
          <Link className="cds--link" to={routePaths.trash(namespace, undefined, run.id)}>
            {plural(run.deletedImages, 'See it in the trash', 'See them in the trash')}
          </Link>
        </div>
      ) : null}
      {undoError ? <ErrorNotification error={undoError} title="Undo failed" /> : null}
    </section>
  );
}
