import { repositoriesTrashed, type RepositoriesTrashed } from '@berth/contract';
import { Link } from 'react-router';
import { useDeleteRepositories } from '../../api/repositories';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';
import { formatBytes, pluralize } from '../../lib/format';
import { tellResultOf, useBulkOutcome } from '../operations/use-bulk-outcome';
import { useRestoreRepositoryAction } from '../trash/use-restore-repository';
import { trashedToastKey } from '../../app/toast-rules';

/**
 * Deleting repositories is restorable, so it confirms once and then offers Undo (restore
 * each repository from the trash) and a way to the trash, filtered to it. A large one
 * becomes an operation: the confirmation closes at once, the page shows its progress, and
 * the same toast comes when it has ended.
 */
export function useDeleteRepositoriesWithUndo(namespace: string) {
  const toasts = useToasts();
  const remove = useDeleteRepositories();
  const settle = useBulkOutcome();
  const { restoreRepository, tellRestoredOperation } = useRestoreRepositoryAction(namespace);

  const deleted = (result: RepositoriesTrashed) => {
    const names = result.repositories.map((repo) => repo.name);
    const single = names.length === 1 ? names[0] : undefined;
    toasts.show({
      kind: 'success',
      title: single
        ? `Repository ${single} deleted`
        : `${pluralize(names.length, 'repository', 'repositories')} deleted`,
      subtitle: (
        <>
          Moved {pluralize(result.images, 'image')} ({formatBytes(result.sizeBytes)}) to the{' '}
          {namespace} trash, restorable for 30 days.{' '}
          <Link className="cds--link" to={routePaths.trash(namespace, single)}>
            {single ? `See ${single} in the trash` : 'See them in the trash'}
          </Link>
        </>
      ),
      action: {
        label: 'Undo',
        onClick: () => {
          for (const name of names) void restoreRepository(name);
        },
      },
      key: trashedToastKey(names.map((repository) => ({ namespace, repository }))),
    });
  };

  /**
   * `onClosed` runs once, as soon as the server has taken the delete: done, or handed over
   * as an operation whose outcome comes later (and must not close what is open by then).
   */
  const deleteRepositories = (repositories: string[], onClosed: () => void) =>
    remove.mutate(
      { namespace, repositories },
      {
        onSuccess: (answer) => {
          onClosed();
          settle(answer, repositoriesTrashed, deleted);
        },
      },
    );

  /** The same outcome for a delete this page finds running (after a reload, or from elsewhere). */
  const tellDeletedOperation = tellResultOf('repository.delete', repositoriesTrashed, deleted);

  // Its Undo (a restore) may be running after a reload too: that outcome is told as well.
  return { deleteRepositories, remove, tellDeletedOperation, tellRestoredOperation };
}
