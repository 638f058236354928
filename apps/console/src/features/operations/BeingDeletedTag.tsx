import { Tag } from '@carbon/react';

/** Beside the name of what a running delete is removing: it offers no second delete. */
export function BeingDeletedTag() {
  return (
    <Tag size="sm" type="warm-gray" className="berth-being-deleted">
      Being deleted
    </Tag>
  );
}
