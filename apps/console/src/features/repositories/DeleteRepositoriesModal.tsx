import type { RepositorySummary } from '@berth/contract';
import type { ApiError } from '../../api/client';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { formatBytes, pluralize } from '../../lib/format';

interface DeleteRepositoriesModalProps {
  namespace: string;
  repositories: RepositorySummary[];
  isPending: boolean;
  error: ApiError | null;
  onConfirm: () => void;
  onClose: () => void;
}

export function DeleteRepositoriesModal({
  namespace,
  repositories,
  isPending,
  error,
  onConfirm,
  onClose,
}: DeleteRepositoriesModalProps) {
  const images = repositories.reduce((sum, repo) => sum + repo.imageCount, 0);
  const bytes = repositories.reduce((sum, repo) => sum + repo.sizeBytes, 0);
  const single = repositories.length === 1 ? repositories[0] : undefined;

  return (
    <DangerConfirmModal
      title={
        single
          ? `Delete repository ${single.name}`
          : `Delete ${pluralize(repositories.length, 'repository', 'repositories')}`
      }
      label={namespace}
      primaryText="Move to trash"
      isPending={isPending}
      error={error}
      onConfirm={onConfirm}
      onClose={onClose}
    >
      {single ? (
        <p>
          Move {pluralize(single.imageCount, 'image')} ({formatBytes(single.sizeBytes)}) of{' '}
          <strong>{single.name}</strong> to the trash.
        </p>
      ) : (
        <>
          <p>
            Move {pluralize(images, 'image')} ({formatBytes(bytes)}) of these repositories to the
            trash:
          </p>
          <table className="berth-summary-table">
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Images</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {repositories.map((repo) => (
                <tr key={repo.name}>
                  <td>{repo.name}</td>
                  <td>{repo.imageCount.toLocaleString()}</td>
                  <td>{formatBytes(repo.sizeBytes)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td>{images.toLocaleString()}</td>
                <td>{formatBytes(bytes)}</td>
              </tr>
            </tfoot>
          </table>
        </>
      )}
      <p>
        Images stay in the namespace trash for 30 days and can be restored from there; the
        repository comes back when any of its images is restored.
      </p>
    </DangerConfirmModal>
  );
}
