import { InlineNotification } from '@carbon/react';
import type { ImageSummary } from '@berth/contract';
import type { ApiError } from '../../api/client';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { formatBytes, plural, pluralize, shortDigest } from '../../lib/format';
import { ImageUseList, projectCount } from './ImageUsedBy';

interface DeleteImagesModalProps {
  repository: string;
  images: ImageSummary[];
  isPending: boolean;
  error: ApiError | null;
  onConfirm: () => void;
  onClose: () => void;
}

export function DeleteImagesModal({
  repository,
  images,
  isPending,
  error,
  onConfirm,
  onClose,
}: DeleteImagesModalProps) {
  const bytes = images.reduce((sum, image) => sum + image.sizeBytes, 0);
  // One workload can use several of the selected images (by tag and by digest): list it once.
  const uses = [
    ...new Map(
      images
        .flatMap((image) => image.usedBy)
        .map((use) => [`${use.projectId}/${use.kind}/${use.name}`, use]),
    ).values(),
  ];
  return (
    <DangerConfirmModal
      title={images.length === 1 ? 'Delete image' : `Delete ${pluralize(images.length, 'image')}`}
      label={repository}
      primaryText="Move to trash"
      isPending={isPending}
      error={error}
      onConfirm={onConfirm}
      onClose={onClose}
    >
      <p>
        Move {pluralize(images.length, 'image')} ({formatBytes(bytes)}) of{' '}
        <strong>{repository}</strong> to the trash.{' '}
        {plural(
          images.length,
          'Its tags are remembered and it can be restored for 30 days; its trust information (signatures, SBOMs, attestations) goes with it.',
          'Their tags are remembered and they can be restored for 30 days; their trust information (signatures, SBOMs, attestations) goes with them.',
        )}
      </p>
      <table className="berth-summary-table">
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Tags</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {images.map((image) => (
            <tr key={image.digest}>
              <td>
                <code>{shortDigest(image.digest)}</code>
              </td>
              <td>{image.tags.length > 0 ? image.tags.join(', ') : 'untagged'}</td>
              <td>{formatBytes(image.sizeBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {uses.length > 0 ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title={`In use by ${pluralize(uses.length, 'app or job', 'apps and jobs')} in ${pluralize(projectCount(uses), 'project')}`}
        >
          <div className="berth-notification-body">
            <ImageUseList uses={uses} linked={false} />
            <p>
              Deleting is allowed: {plural(uses.length, 'it', 'they')} will point at{' '}
              {plural(images.length, 'an image', 'images')} in the trash. Restore{' '}
              {plural(images.length, 'it', 'them')} within 30 days or point{' '}
              {plural(uses.length, 'it', 'them')} at another image, or{' '}
              {plural(uses.length, 'it', 'they')} cannot start.
            </p>
          </div>
        </InlineNotification>
      ) : null}
    </DangerConfirmModal>
  );
}
