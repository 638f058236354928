import {
  Button,
  TableBatchAction,
  TableBatchActions,
  TableToolbar,
  TableToolbarContent,
} from '@carbon/react';
import { Undo } from '@carbon/icons-react';
import type { TrashItem } from '@berth/contract';
import type { RowSelection } from '../../lib/use-row-selection';

/** restoreManyBody takes at most this many images in one request. */
export const RESTORE_SELECTION_MAX = 1000;

interface TrashToolbarProps {
  selection: RowSelection<TrashItem>;
  onRestoreSelected: (rows: TrashItem[]) => void;
  /** Set when the trash is filtered to one repository that has images in it. */
  repository: string | null;
  onRestoreRepository: (repository: string) => void;
  isPending: boolean;
}

/**
 * The trash's actions for a writer: "Restore" over the selected rows (a batch bar while
 * rows are checked), and "Restore repository" while the view is one repository. The hidden
 * half leaves the tab order so the keyboard reaches only what is shown.
 */
export function TrashToolbar({
  selection,
  onRestoreSelected,
  repository,
  onRestoreRepository,
  isPending,
}: TrashToolbarProps) {
  const count = selection.selectedRows.length;
  const selecting = count > 0;
  const tooMany = count > RESTORE_SELECTION_MAX;
  return (
    <TableToolbar aria-label="Trash toolbar">
      <TableBatchActions
        shouldShowBatchActions={selecting}
        totalSelected={count}
        onCancel={selection.clear}
      >
        <TableBatchAction
          renderIcon={Undo}
          tabIndex={selecting ? 0 : -1}
          disabled={isPending || tooMany}
          onClick={() => onRestoreSelected(selection.selectedRows)}
        >
          {tooMany ? `Restore (at most ${RESTORE_SELECTION_MAX.toLocaleString()})` : 'Restore'}
        </TableBatchAction>
      </TableBatchActions>
      <TableToolbarContent aria-hidden={selecting}>
        {repository ? (
          <Button
            kind="primary"
            size="md"
            renderIcon={Undo}
            tabIndex={selecting ? -1 : 0}
            disabled={isPending}
            onClick={() => onRestoreRepository(repository)}
          >
            Restore repository {repository}
          </Button>
        ) : (
          <p className="berth-toolbar-hint berth-muted">
            Select images to restore several at once, or filter to one repository to restore all of
            it.
          </p>
        )}
      </TableToolbarContent>
    </TableToolbar>
  );
}
