import type { RestoreManyResult } from '@berth/contract';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';
import { RestoreManySummary, restoreManyTitle } from '../../components/RestoreSummary';

/**
 * The toast that ends a restore of many images (a repository, a selection), worded once: it is
 * the same when the restore ends at once, when the operation it became ends, and when a page
 * finds that operation running after a reload. A repository's restore offers the way to it.
 */
export function useRestoredManyToast(namespace: string) {
  const toasts = useToasts();
  const navigate = useNavigate();
  return useCallback(
    (result: RestoreManyResult, what: string, repository?: string) =>
      toasts.show({
        kind: result.skippedTagCount > 0 ? 'warning' : 'success',
        title: restoreManyTitle(result, what),
        subtitle: <RestoreManySummary result={result} />,
        // An action, not a link in the text: Carbon's plain toast takes no interactive content.
        action: repository
          ? {
              label: `Open ${repository}`,
              onClick: () => void navigate(routePaths.images(namespace, repository)),
            }
          : undefined,
      }),
    [toasts, navigate, namespace],
  );
}
