import {
  TableBatchAction,
  TableBatchActions,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
} from '@carbon/react';
import { TrashCan } from '@carbon/icons-react';

interface SelectionToolbarProps {
  /** Accessible name of the toolbar, e.g. "Images toolbar". */
  label: string;
  searchLabel: string;
  searchPlaceholder: string;
  selectedCount: number;
  onClearSelection: () => void;
  /** Absent where the person may not delete: the toolbar is only a search. */
  onDeleteSelected?: () => void;
  onSearch: (text: string) => void;
}

/**
 * A table toolbar with server-side search that turns into a batch "Delete" bar while
 * rows are selected. The hidden half leaves the tab order so the keyboard reaches only
 * what is shown.
 */
export function SelectionToolbar({
  label,
  searchLabel,
  searchPlaceholder,
  selectedCount,
  onClearSelection,
  onDeleteSelected,
  onSearch,
}: SelectionToolbarProps) {
  const selecting = onDeleteSelected !== undefined && selectedCount > 0;
  return (
    <TableToolbar aria-label={label}>
      {onDeleteSelected ? (
        <TableBatchActions
          shouldShowBatchActions={selecting}
          totalSelected={selectedCount}
          onCancel={onClearSelection}
        >
          <TableBatchAction
            renderIcon={TrashCan}
            tabIndex={selecting ? 0 : -1}
            onClick={onDeleteSelected}
          >
            Delete
          </TableBatchAction>
        </TableBatchActions>
      ) : null}
      <TableToolbarContent aria-hidden={selecting}>
        <TableToolbarSearch
          persistent
          labelText={searchLabel}
          placeholder={searchPlaceholder}
          tabIndex={selecting ? -1 : 0}
          onChange={(event) => onSearch(typeof event === 'string' ? '' : event.target.value)}
        />
      </TableToolbarContent>
    </TableToolbar>
  );
}
