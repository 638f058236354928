import { RadioButton, RadioButtonGroup } from '@carbon/react';
import type { TrashItem } from '@berth/contract';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { shortDigest } from '../../lib/format';

interface RestoreTagModalProps {
  item: TrashItem;
  isPending: boolean;
  error: ApiError | null;
  onConfirm: (tag: string) => void;
  onClose: () => void;
}

export function RestoreTagModal({
  item,
  isPending,
  error,
  onConfirm,
  onClose,
}: RestoreTagModalProps) {
  const [tag, setTag] = useState(item.tags[0] ?? '');
  return (
    <DangerConfirmModal
      danger={false}
      title="Restore tag"
      label={`${item.repository}@${shortDigest(item.digest)}`}
      primaryText="Restore tag"
      primaryDisabled={tag === ''}
      isPending={isPending}
      error={error}
      onClose={onClose}
      onConfirm={() => onConfirm(tag)}
    >
      <p>
        Brings back the image that last held the chosen tag in {item.repository}, with that tag
        only.
      </p>
      <RadioButtonGroup
        legendText="Tag to restore"
        name={`restore-tag-${item.id}`}
        orientation="vertical"
        valueSelected={tag}
        onChange={(value) => setTag(String(value))}
      >
        {item.tags.map((t) => (
          <RadioButton key={t} id={`restore-tag-${item.id}-${t}`} labelText={t} value={t} />
        ))}
      </RadioButtonGroup>
    </DangerConfirmModal>
  );
}
