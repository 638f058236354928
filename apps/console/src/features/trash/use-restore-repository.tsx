import { restoreManyResult, type RestoreManyResult } from '@berth/contract';
import { toApiError } from '../../api/client';
import { useRestoreRepository } from '../../api/trash';
import { useToasts } from '../../app/ToastProvider';
import { repositoryOf } from '../operations/operation-targets';
import { tellResultOf, useBulkOutcome } from '../operations/use-bulk-outcome';
import { useRestoredManyToast } from './use-restored-many-toast';

/**
 * "Restore repository": everything of it still in the trash, in one action, from the trash
 * view or from the Undo of a repository delete. The outcome is a toast, as the Undo may be
 * used after leaving the page (hence mutateAsync: its callbacks outlive the component).
 */
export function useRestoreRepositoryAction(namespace: string) {
  const toasts = useToasts();
  const restore = useRestoreRepository();
  const settle = useBulkOutcome();
  const toastRestored = useRestoredManyToast(namespace);

  const restoredRepository = (repository: string, result: RestoreManyResult) =>
    toastRestored(result, `repository ${repository}`, repository);

  const restoreRepository = (
    repository: string,
    onRestored?: (result: RestoreManyResult) => void,
  ) =>
    restore.mutateAsync({ namespace, repository }).then(
      (answer) =>
        settle(answer, restoreManyResult, (result) => {
          restoredRepository(repository, result);
          onRestored?.(result);
        }),
      (error: unknown) =>
        toasts.show({
          kind: 'error',
          title: `Repository ${repository} not restored`,
          subtitle: `${toApiError(error).message} Its images are still in the trash.`,
        }),
    );

  /** The same outcome for a restore a page finds running (after a reload, or from elsewhere). */
  const tellRestoredOperation = tellResultOf('trash.restore', restoreManyResult, (result, op) => {
    const repository = repositoryOf(op);
    toastRestored(result, `repository ${repository ?? op.target}`, repository ?? undefined);
  });

  return { restoreRepository, restore, tellRestoredOperation };
}
