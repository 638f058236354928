import { restoreManyResult, type ImageRef } from '@berth/contract';
import { toApiError } from '../../api/client';
import { useDeleteImages } from '../../api/images';
import { useRestoreSelection } from '../../api/trash';
import { trashedToastCovers, trashedToastKey } from '../../app/toast-rules';
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
        settle(answer, restoreManyResult, (result) => {
          forgetUndo(images);
          toasts.show({
            kind: result.skippedTagCount > 0 ? 'warning' : 'success',
            title: `Restored ${pluralize(result.restored, 'image')}`,
            subtitle: <RestoreManySummary result={result} />,
          });
        }),
      (error: unknown) => {
        const apiError = toApiError(error);
        if (apiError.code === 'TRASH_ENTRY_UNKNOWN') {
          // Restored in the meantime (from the trash, another tab or person): not a failure.
          toasts.show({
            kind: 'info',
            title: plural(images.length, 'Already restored', 'Some are already restored'),
            subtitle: plural(
              images.length,
              'The image is back in its repository; there was nothing to undo.',
              'Nothing was restored by Undo (it restores all or none); restore the others from the trash.',
            ),
          });
          return;
        }
        toasts.show({
          kind: 'error',
          title: 'Undo failed',
          subtitle: `${apiError.message} ${plural(images.length, 'The image is', 'The images are')} still in the trash.`,
        });
      },
    );
  };

  /** Once the images are back, no toast may offer to bring them back again. */
  const forgetUndo = (images: ImageRef[]) =>
    toasts.dismissWhere((key) =>
      images.some((image) => trashedToastCovers(key, { namespace, ...image })),
    );

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
            key: trashedToastKey(
              trashed.map(({ repository, digest }) => ({ namespace, repository, digest })),
            ),
          });
        },
      },
    );
  };

  return { deleteImages, remove };
}
