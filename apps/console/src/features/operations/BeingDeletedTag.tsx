import { Tag } from '@carbon/react';

/**
 * Beside the name of what a running delete is removing: it offers no second delete. Once the
 * delete has failed and is being undone (its images coming back), it says that instead.
 */
export function BeingDeletedTag({ undoing = false }: { undoing?: boolean }) {
  return (
    <Tag size="sm" type="warm-gray" className="berth-being-deleted">
      {undoing ? 'Delete failed, restoring' : 'Being deleted'}
    </Tag>
  );
}
