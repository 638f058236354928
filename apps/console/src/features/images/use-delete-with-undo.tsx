import { restoreManyResult, type ImageRef } from '@berth/contract';
import { toApiError } from '../../api/client';
import { useDeleteImages } from '../../api/images';
import { useRestoreSelection } from '../../api/trash';
import { useToasts } from '../../app/ToastProvider';
import { RestoreManySummary } from '../../components/RestoreSummary';
import { formatBytes, plural, pluralize } from '../../lib/format';
import { useBulkOutcome } from '../operations/use-bulk-outcome';

/**
 * Deleting images is restorable, so it confirms once and then offers Undo in a toast:
 * Undo restores them all in one request (all or none) and says which tags it could not
 * bring back. mutateAsync: the Undo may be used after leaving the page.
 */
export function useDeleteWithUndo(namespace: string) {
  const toasts = useToasts();
  const remove = useDeleteImages();
  const restore = useRestoreSelection();
  const settle = useBulkOutcome();

  const undo = (images: ImageRef[]) => {
    restore.mutateAsync({ namespace, items: images }).then(
      (answer) =>
        settle(answer, restoreManyResult, (result) =>
          toasts.show({
            kind: result.skippedTagCount > 0 ? 'warning' : 'success',
            title: `Restored ${pluralize(result.restored, 'image')}`,
            subtitle: <RestoreManySummary result={result} />,
          }),
        ),
      (error: unknown) =>
        toasts.show({
          kind: 'error',
          title: 'Undo failed',
          subtitle: `${toApiError(error).message} ${plural(images.length, 'The image is', 'The images are')} still in the trash.`,
        }),
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
            subtitle: `${formatBytes(bytes)}. ${plural(trashed.length, 'It', 'They')} can be restored for 30 days.`,
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
