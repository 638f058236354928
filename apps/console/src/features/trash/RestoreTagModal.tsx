import { InlineNotification, RadioButton, RadioButtonGroup, SkeletonText } from '@carbon/react';
import type { TrashItem } from '@berth/contract';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { useTagHolders } from '../../api/images';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { nowHeldBy } from '../../components/RestoreSummary';
import { shortDigest } from '../../lib/format';

interface RestoreTagModalProps {
  namespace: string;
  item: TrashItem;
  isPending: boolean;
  error: ApiError | null;
  onConfirm: (tag: string) => void;
  onClose: () => void;
}

/**
 * Restore by tag is refused when another image holds the tag now (the person asked for
 * exactly that tag), so each such tag says so, and by which image, before anything is sent:
 * the same words restore by digest uses for the tags it leaves behind.
 */
export function RestoreTagModal({
  namespace,
  item,
  isPending,
  error,
  onConfirm,
  onClose,
}: RestoreTagModalProps) {
  const lookup = useTagHolders(namespace, item.repository, item.tags);
  // Unknown (the check failed) counts as free: the server still refuses a held tag, saying so.
  const isFree = (tag: string) => !lookup.holders.get(tag);
  const [chosen, setChosen] = useState<string | null>(null);
  // Until the person picks one, the first tag that can be restored is offered.
  const tag = chosen ?? item.tags.find(isFree) ?? '';
  const allHeld = !lookup.isPending && !lookup.error && item.tags.every((t) => !isFree(t));

  return (
    <DangerConfirmModal
      danger={false}
      title="Restore tag"
      label={`${item.repository}@${shortDigest(item.digest)}`}
      primaryText="Restore tag"
      primaryDisabled={lookup.isPending || tag === '' || !isFree(tag)}
      isPending={isPending}
      error={error}
      onClose={onClose}
      onConfirm={() => onConfirm(tag)}
    >
      <p>
        Brings back the image that last held the chosen tag in {item.repository}, with that tag
        only. A tag another image holds now cannot be restored this way.
      </p>
      {lookup.isPending ? (
        <SkeletonText paragraph lineCount={Math.min(item.tags.length, 3)} />
      ) : (
        <RadioButtonGroup
          legendText="Tag to restore"
          name={`restore-tag-${item.id}`}
          orientation="vertical"
          valueSelected={tag}
          onChange={(value) => setChosen(String(value))}
        >
          {item.tags.map((t) => {
            const holder = lookup.holders.get(t);
            return (
              <RadioButton
                key={t}
                id={`restore-tag-${item.id}-${t}`}
                labelText={
                  holder ? (
                    <>
                      {t} <span className="berth-muted">({nowHeldBy(holder)})</span>
                    </>
                  ) : (
                    t
                  )
                }
                value={t}
                disabled={Boolean(holder)}
              />
            );
          })}
        </RadioButtonGroup>
      )}
      {lookup.error ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title="Could not check which tags are free"
          subtitle={`${lookup.error.message} Restoring a tag another image holds is refused with the reason.`}
        />
      ) : null}
      {allHeld ? (
        <InlineNotification
          kind="info"
          lowContrast
          hideCloseButton
          title="Every tag of this image is held by another image now"
          subtitle="Restore the image by digest instead: it comes back untagged, or remove the tag from the other image first."
        />
      ) : null}
    </DangerConfirmModal>
  );
}
