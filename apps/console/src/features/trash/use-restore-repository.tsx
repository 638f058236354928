import { restoreManyResult, type RestoreManyResult } from '@berth/contract';
import { toApiError } from '../../api/client';
import { useRestoreRepository } from '../../api/trash';
import { useToasts } from '../../app/ToastProvider';
import { RestoreManySummary, restoreManyTitle } from '../../components/RestoreSummary';
import { useBulkOutcome } from '../operations/use-bulk-outcome';

/**
 * "Restore repository": everything of it still in the trash, in one action, from the trash
 * view or from the Undo of a repository delete. The outcome is a toast, as the Undo may be
 * used after leaving the page (hence mutateAsync: its callbacks outlive the component).
 */
export function useRestoreRepositoryAction(namespace: string) {
  const toasts = useToasts();
  const restore = useRestoreRepository();
  const settle = useBulkOutcome();

  const restoreRepository = (
    repository: string,
    onRestored?: (result: RestoreManyResult) => void,
  ) =>
    restore.mutateAsync({ namespace, repository }).then(
      (answer) =>
        settle(answer, restoreManyResult, (result) => {
          toasts.show({
            kind: result.skippedTagCount > 0 ? 'warning' : 'success',
            title: restoreManyTitle(result, `repository ${repository}`),
            subtitle: <RestoreManySummary result={result} />,
          });
          onRestored?.(result);
        }),
      (error: unknown) =>
        toasts.show({
          kind: 'error',
          title: `Repository ${repository} not restored`,
          subtitle: `${toApiError(error).message} Its images are still in the trash.`,
        }),
    );

  return { restoreRepository, restore };
}
