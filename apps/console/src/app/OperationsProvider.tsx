import type { Operation } from '@berth/contract';
import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { ApiError } from '../api/client';
import { hideNamespaceBeingDeleted } from '../api/namespace-removal';
import { invalidateAfterOperation, useOperation } from '../api/operations';
import { queryKeys } from '../api/query-keys';
import {
  failureText,
  operationTitle,
  outcomeText,
  outcomeTitle,
} from '../features/operations/operation-words';
import { useToasts } from './ToastProvider';

export interface FollowOptions {
  /**
   * What the page that started it does with the result: true when it told the person the
   * outcome. Otherwise (an operation found after a reload, a result it cannot read) a plain
   * toast says it ended.
   */
  onSucceeded?: (finished: Operation) => boolean;
}

interface OperationsApi {
  /** Idempotent by id: a page may hand over every running operation it lists. */
  follow: (started: Operation, options?: FollowOptions) => void;
  /**
   * Still running: pages pick theirs by namespace, kind and target. Each as first seen, and
   * seen again once its undo has begun (a failed delete putting its images back); progress
   * counts are read from the polled snapshot instead, so a poll does not redraw every page.
   */
  followed: Operation[];
  /** Ended in failure and not yet dismissed: the page where it ran says why. */
  failed: Operation[];
  dismiss: (id: string) => void;
}

const OperationsContext = createContext<OperationsApi | null>(null);

/** Polls one operation and reports once when it ends or can no longer be asked about. */
function OperationWatcher({
  id,
  onEnded,
  onLost,
  onUndoing,
}: {
  id: string;
  onEnded: (ended: Operation) => void;
  onLost: (id: string, error: ApiError) => void;
  onUndoing: (undoing: Operation) => void;
}) {
  const query = useOperation(id);
  const ended = query.data && query.data.state !== 'running' ? query.data : null;
  const undoing = query.data && !ended && query.data.rolledBack !== null ? query.data : null;
  // A 4xx will not change by asking again (the operation is gone, or access to it).
  const lost =
    query.error && query.error.status >= 400 && query.error.status < 500 ? query.error : null;
  useEffect(() => {
    if (ended) onEnded(ended);
    else if (lost) onLost(id, lost);
  }, [ended, lost, id, onEnded, onLost]);
  useEffect(() => {
    if (undoing) onUndoing(undoing);
  }, [undoing, onUndoing]);
  return null;
}

/**
 * Follows bulk work for the whole console, not for one page: someone who starts a delete
 * and moves on still gets its outcome, and the lists it changed are refreshed once, when
 * it ends.
 */
export function OperationsProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [followed, setFollowed] = useState<Operation[]>([]);
  const [failed, setFailed] = useState<Operation[]>([]);
  const options = useRef(new Map<string, FollowOptions>());
  // Strict mode runs effects twice; an outcome is told once.
  const settled = useRef(new Set<string>());

  const follow = useCallback(
    (started: Operation, followOptions?: FollowOptions) => {
      if (settled.current.has(started.id)) return;
      // The first follower tells the outcome: the page that started the work knows most.
      if (followOptions && !options.current.has(started.id)) {
        options.current.set(started.id, followOptions);
      }
      if (!queryClient.getQueryData(queryKeys.operations.detail(started.id))) {
        queryClient.setQueryData(queryKeys.operations.detail(started.id), started);
        // Found running (started in another tab, by the CLI): the server stopped listing its
        // namespace when it began, so the lists this page shows are asked again now.
        if (started.kind === 'namespace.delete') void hideNamespaceBeingDeleted(queryClient);
      }
      setFollowed((current) =>
        current.some((op) => op.id === started.id) ? current : [...current, started],
      );
    },
    [queryClient],
  );

  const stopFollowing = useCallback((id: string) => {
    settled.current.add(id);
    options.current.delete(id);
    setFollowed((current) => current.filter((op) => op.id !== id));
  }, []);

  const onEnded = useCallback(
    (ended: Operation) => {
      if (settled.current.has(ended.id)) return;
      const onSucceeded = options.current.get(ended.id)?.onSucceeded;
      stopFollowing(ended.id);
      void invalidateAfterOperation(queryClient, ended);
      if (ended.state === 'failed') {
        setFailed((current) => [...current, ended]);
        toasts.show({ kind: 'error', title: outcomeTitle(ended), subtitle: failureText(ended) });
      } else if (!onSucceeded?.(ended)) {
        toasts.show({
          kind: 'success',
          title: outcomeTitle(ended),
          subtitle: outcomeText(ended),
        });
      }
    },
    [queryClient, stopFollowing, toasts],
  );

  // Once per operation: the first snapshot that shows its undo replaces the one first seen.
  const onUndoing = useCallback((undoing: Operation) => {
    setFollowed((current) =>
      current.some((op) => op.id === undoing.id && op.rolledBack === null)
        ? current.map((op) => (op.id === undoing.id ? undoing : op))
        : current,
    );
  }, []);

  const onLost = useCallback(
    (id: string, error: ApiError) => {
      if (settled.current.has(id)) return;
      const op = queryClient.getQueryData<Operation>(queryKeys.operations.detail(id));
      stopFollowing(id);
      toasts.show({
        kind: 'error',
        title: op ? `Cannot follow: ${operationTitle(op)}` : 'Cannot follow an operation',
        subtitle: `${error.message} It may still be running on the server; reload the page to see.`,
      });
    },
    [queryClient, stopFollowing, toasts],
  );

  const dismiss = useCallback((id: string) => {
    setFailed((current) => current.filter((op) => op.id !== id));
  }, []);

  const api = useMemo(
    () => ({ follow, followed, failed, dismiss }),
    [follow, followed, failed, dismiss],
  );

  return (
    <OperationsContext.Provider value={api}>
      {children}
      {followed.map((op) => (
        <OperationWatcher
          key={op.id}
          id={op.id}
          onEnded={onEnded}
          onLost={onLost}
          onUndoing={onUndoing}
        />
      ))}
    </OperationsContext.Provider>
  );
}

export function useOperations(): OperationsApi {
  const api = useContext(OperationsContext);
  if (!api) throw new Error('useOperations must be used inside <OperationsProvider>');
  return api;
}
