import type { Operation, OperationKind } from '@berth/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { z } from 'zod';
import {
  invalidateRunningOperations,
  operationResult,
  type BulkAnswer,
} from '../../api/operations';
import { useOperations } from '../../app/OperationsProvider';

/**
 * Tells the outcome of a succeeded operation of `kind` as its endpoint's result would be told
 * (with the operation, for what only it names, such as the repository a restore was of):
 * true when it did, false (so the plain outcome toast says it ended) for another kind or a
 * result that does not fit `schema`.
 */
export function tellResultOf<S extends z.ZodType>(
  kind: OperationKind,
  schema: S,
  onResult: (result: z.output<S>, finished: Operation) => void,
): (finished: Operation) => boolean {
  return (finished) => {
    if (finished.kind !== kind) return false;
    const result = operationResult(finished, schema);
    if (result === null) return false;
    onResult(result, finished);
    return true;
  };
}

/**
 * One way to finish a bulk action whichever way the server answered: the result now (200),
 * or the same result once the operation it became has succeeded (202), read with the same
 * schema. `onAccepted` runs at once for a 202, e.g. to close the confirmation.
 */
export function useBulkOutcome() {
  const queryClient = useQueryClient();
  const { follow } = useOperations();
  return useCallback(
    <S extends z.ZodType>(
      answer: BulkAnswer<z.output<S>>,
      schema: S,
      onResult: (result: z.output<S>) => void,
      onAccepted?: () => void,
    ) => {
      if (answer.kind === 'done') {
        onResult(answer.result);
        return;
      }
      follow(answer.operation, {
        onSucceeded: tellResultOf(answer.operation.kind, schema, onResult),
      });
      // Every 202 passes here: the running lists now hold one more. Asked after `follow`, so
      // the page that started it, not the list, is its first follower and tells its outcome.
      void invalidateRunningOperations(queryClient, answer.operation.namespace);
      onAccepted?.();
    },
    [follow, queryClient],
  );
}
