import { InlineNotification, ProgressBar } from '@carbon/react';
import type { Operation, OperationKind } from '@berth/contract';
import { useEffect, useRef } from 'react';
import { useOperationSnapshot, useRunningOperations } from '../../api/operations';
import { useOperations, type FollowOptions } from '../../app/OperationsProvider';
import { ErrorNotification } from '../../components/ErrorNotification';
import { worksOn } from './operation-targets';
import {
  failureText,
  operationCount,
  operationTitle,
  outcomeTitle,
  percentDone,
  waitingText,
} from './operation-words';

function OperationProgress({ first }: { first: Operation }) {
  // The provider polls; this only reads what it fetched last.
  const op = useOperationSnapshot(first.id).data ?? first;
  const counted = op.total > 0;
  const waiting = waitingText(op);
  return (
    <div className="berth-operation">
      <ProgressBar
        label={operationTitle(op)}
        helperText={operationCount(op)}
        // Indeterminate until the server has counted the set; the exact counts are the helper.
        value={counted ? percentDone(op) : undefined}
        max={100}
        status={op.state === 'running' ? 'active' : op.state === 'failed' ? 'error' : 'finished'}
      />
      {/* A pause asks someone to act (free disk): a warning of its own, not a helper's grey. */}
      {waiting ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title="Paused"
          subtitle={waiting}
        />
      ) : null}
    </div>
  );
}

interface OperationsInProgressProps {
  /** Undefined: every namespace the caller can see (the namespaces page). */
  namespace: string | undefined;
  /** Only these kinds; all when absent. */
  kinds?: readonly OperationKind[];
  /** Only operations on this target, e.g. "demo-shop/payments" (alone or among others). */
  target?: string;
  /**
   * How this page tells the outcome of what it finds running (see `tellResultOf`): after a
   * reload, the same words, links and Undo as when the work was started here.
   */
  onSucceeded?: FollowOptions['onSucceeded'];
}

/**
 * Bulk work of a namespace shown where it was started, and found again after a reload:
 * the server's list of running operations is handed to the console-wide follower, which
 * polls each one and tells its outcome; a failure stays here, in words, until dismissed.
 */
export function OperationsInProgress({
  namespace,
  kinds,
  target,
  onSucceeded,
}: OperationsInProgressProps) {
  const running = useRunningOperations(namespace);
  const { follow, followed, failed, dismiss } = useOperations();

  const matches = (op: Operation) =>
    (namespace === undefined || op.namespace === namespace) &&
    (kinds === undefined || kinds.includes(op.kind)) &&
    (target === undefined || worksOn(op, target));
  // Only what this page shows is followed: its outcome toast then makes sense here.
  const matchesRef = useRef(matches);
  matchesRef.current = matches;
  const onSucceededRef = useRef(onSucceeded);
  onSucceededRef.current = onSucceeded;

  useEffect(() => {
    const options = onSucceededRef.current ? { onSucceeded: onSucceededRef.current } : undefined;
    for (const op of running.data?.items ?? []) if (matchesRef.current(op)) follow(op, options);
  }, [running.data, follow]);
  const shown = followed.filter(matches);
  const failures = failed.filter(matches);
  if (shown.length === 0 && failures.length === 0 && !running.error) return null;

  return (
    <section className="berth-operations" aria-label="Operations in progress">
      {shown.map((op) => (
        <OperationProgress key={op.id} first={op} />
      ))}
      {failures.map((op) => (
        <InlineNotification
          key={op.id}
          kind="error"
          lowContrast
          title={outcomeTitle(op)}
          subtitle={failureText(op)}
          onClose={() => {
            dismiss(op.id);
            return false;
          }}
        />
      ))}
      {running.error ? (
        <ErrorNotification
          error={running.error}
          title="Running operations could not be listed"
          onRetry={() => void running.refetch()}
        />
      ) : null}
    </section>
  );
}
