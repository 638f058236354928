import { useCallback } from 'react';
import type { z } from 'zod';
import { operationResult, type BulkAnswer } from '../../api/operations';
import { useOperations } from '../../app/OperationsProvider';

/**
 * One way to finish a bulk action whichever way the server answered: the result now (200),
 * or the same result once the operation it became has succeeded (202), read with the same
 * schema. `onAccepted` runs at once for a 202, e.g. to close the confirmation.
 */
export function useBulkOutcome() {
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
        onSucceeded: (finished) => {
          const result = operationResult(finished, schema);
          if (result === null) return false;
          onResult(result);
          return true;
        },
      });
      onAccepted?.();
    },
    [follow],
  );
}
