import type { ImageRef } from '@berth/contract';
import { useDeleteImages } from '../../api/images';
import { useRestoreMany } from '../../api/trash';
import { useToasts } from '../../app/ToastProvider';
import { hasSkippedTags, RestoreSummary } from '../../components/RestoreSummary';
import { formatBytes, pluralize } from '../../lib/format';

/**
 * Deleting images is restorable, so it confirms once and then offers Undo in a toast:
 * Undo restores each image by digest and says which tags it could not bring back.
 */
export function useDeleteWithUndo(namespace: string) {
  const toasts = useToasts();
  const remove = useDeleteImages();
  const restore = useRestoreMany();

  const undo = (images: ImageRef[]) => {
    restore.mutate(
      { namespace, images },
      {
        onSuccess: ({ results, failures }) => {
          if (results.length > 0) {
            toasts.show({
              kind: hasSkippedTags(results) ? 'warning' : 'success',
              title: `Restored ${pluralize(results.length, 'image')}`,
              subtitle: <RestoreSummary results={results} />,
            });
          }
          for (const failure of failures) {
            toasts.show({
              kind: 'error',
              title: `Could not restore ${failure.repository}@${failure.digest.slice(0, 19)}`,
              subtitle: `${failure.error.message} It is still in the trash.`,
            });
          }
        },
        onError: (error) =>
          toasts.show({ kind: 'error', title: 'Undo failed', subtitle: error.message }),
      },
    );
  };

  const deleteImages = (images: ImageRef[], onDone: () => void) => {
    remove.mutate(
      { namespace, images },
      {
        onSuccess: ({ trashed }) => {
          onDone();
          const bytes = trashed.reduce((sum, image) => sum + image.sizeBytes, 0);
          toasts.show({
            kind: 'success',
            title: `Moved ${pluralize(trashed.length, 'image')} to the trash`,
            subtitle: `${formatBytes(bytes)}. They can be restored for 30 days.`,
            action: {
              label: 'Undo',
              onClick: () =>
                undo(trashed.map(({ repository, digest }) => ({ repository, digest }))),
            },
          });
        },
      },
    );
  };

  return { deleteImages, remove };
}
