import type { ImageSummary } from '@berth/contract';
import type { ApiError } from '../../api/client';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { formatBytes, pluralize, shortDigest } from '../../lib/format';

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
        <strong>{repository}</strong> to the trash. Their tags are remembered and they can be
        restored for 30 days; signatures attached to them go with them.
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
    </DangerConfirmModal>
  );
}
