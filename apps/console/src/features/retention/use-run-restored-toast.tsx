import type { RetentionRunRestored } from '@berth/contract';
import { useCallback } from 'react';
import { useToasts } from '../../app/ToastProvider';
import { RestoredSummary, restoredTitle } from './RunOutcome';

/**
 * The toast that ends a restore of a retention run, worded once for every page that can see
 * one end: the retention page (Undo, the run history) and the trash, also after a reload.
 */
export function useRunRestoredToast() {
  const toasts = useToasts();
  return useCallback(
    (result: RetentionRunRestored) =>
      toasts.show({
        kind: result.skippedTags.length > 0 ? 'warning' : 'success',
        title: restoredTitle(result),
        subtitle: <RestoredSummary restored={result} />,
      }),
    [toasts],
  );
}
