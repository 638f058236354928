import { SkeletonText, UnorderedList, ListItem } from '@carbon/react';
import { namespaceDeleted, type NamespaceDeleted } from '@berth/contract';
import { useDeleteNamespace, useNamespaceDeletionPreview } from '../../api/namespaces';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatBytes, pluralize } from '../../lib/format';
import { useBulkOutcome } from '../operations/use-bulk-outcome';

interface DeleteNamespaceModalProps {
  namespace: string;
  onClose: () => void;
  /** Also when a large namespace was handed over as an operation and that has ended. */
  onDeleted: (result: NamespaceDeleted) => void;
}

export function DeleteNamespaceModal({ namespace, onClose, onDeleted }: DeleteNamespaceModalProps) {
  const preview = useNamespaceDeletionPreview(namespace);
  const remove = useDeleteNamespace();
  const settle = useBulkOutcome();
  const data = preview.data;

  return (
    <DangerConfirmModal
      title={`Delete namespace ${namespace}`}
      primaryText="Delete namespace"
      confirmationText={namespace}
      primaryDisabled={!data}
      isPending={remove.isPending}
      error={remove.error}
      onClose={onClose}
      onConfirm={() =>
        remove.mutate(namespace, {
          // Closed once, now: for a large namespace the page shows the progress, and
          // `onDeleted` comes when it has ended.
          onSuccess: (answer) => {
            onClose();
            settle(answer, namespaceDeleted, onDeleted);
          },
        })
      }
    >
      <p>
        This deletes <strong>{namespace}</strong> immediately and permanently, including its trash
        and trust information (signatures). It cannot be undone or restored.
      </p>
      {preview.isPending ? (
        <div aria-label="Loading what will be removed" role="status">
          <SkeletonText paragraph lineCount={4} />
        </div>
      ) : preview.error ? (
        <ErrorNotification
          error={preview.error}
          title="Could not load what will be removed"
          onRetry={() => void preview.refetch()}
        />
      ) : data ? (
        <div>
          <p className="berth-modal-subheading">What will be removed:</p>
          <UnorderedList className="berth-preview-list">
            <ListItem>{pluralize(data.repositories, 'repository', 'repositories')}</ListItem>
            <ListItem>{pluralize(data.images, 'image')}</ListItem>
            <ListItem>{pluralize(data.trashItems, 'trash item')}</ListItem>
            <ListItem>
              {formatBytes(data.sizeBytes + data.trashSizeBytes)} in total (
              {formatBytes(data.trashSizeBytes)} of it in the trash)
            </ListItem>
          </UnorderedList>
        </div>
      ) : null}
    </DangerConfirmModal>
  );
}
