import type { ImageSummary } from '@berth/contract';
import { useUntag } from '../../api/images';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { plural, shortDigest } from '../../lib/format';

interface UntagModalProps {
  namespace: string;
  repository: string;
  image: ImageSummary;
  tag: string;
  onClose: () => void;
  onDone: () => void;
}

export function UntagModal({
  namespace,
  repository,
  image,
  tag,
  onClose,
  onDone,
}: UntagModalProps) {
  const untag = useUntag();
  const others = image.tags.filter((t) => t !== tag);
  return (
    <DangerConfirmModal
      danger={false}
      title={`Remove tag ${tag}`}
      label={repository}
      primaryText="Remove tag"
      isPending={untag.isPending}
      error={untag.error}
      onClose={onClose}
      onConfirm={() => untag.mutate({ namespace, repository, tag }, { onSuccess: onDone })}
    >
      <p>
        Removes the tag <strong>{tag}</strong> from image <code>{shortDigest(image.digest)}</code>.
        The image itself stays in {repository}
        {others.length > 0
          ? ` with ${plural(others.length, 'tag')} ${others.join(', ')}`
          : ' as an untagged image, pullable by digest'}
        . Pulls of <code>{`${repository}:${tag}`}</code> will fail until the tag is pushed again.
      </p>
    </DangerConfirmModal>
  );
}
