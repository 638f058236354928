import {
  TableBatchAction,
  TableBatchActions,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
} from '@carbon/react';
import { TrashCan } from '@carbon/icons-react';
import type { RowSelection } from '../lib/use-row-selection';

interface SelectionToolbarProps<T> {
  /** Accessible name of the toolbar, e.g. "Images toolbar". */
  label: string;
  searchLabel: string;
  searchPlaceholder: string;
  selection: RowSelection<T>;
  /** Absent where the person may not delete: the toolbar is only a search. */
  onDeleteSelected?: (rows: T[]) => void;
  onSearch: (text: string) => void;
}

/**
 * A table toolbar with server-side search that turns into a batch "Delete" bar while
 * rows are selected. The hidden half leaves the tab order so the keyboard reaches only
 * what is shown. A new search clears the selection: rows it hides must not be deleted
 * unseen.
 */
export function SelectionToolbar<T>({
  label,
  searchLabel,
  searchPlaceholder,
  selection,
  onDeleteSelected,
  onSearch,
}: SelectionToolbarProps<T>) {
  const selectedCount = selection.selectedRows.length;
  const selecting = onDeleteSelected !== undefined && selectedCount > 0;
  return (
    <TableToolbar aria-label={label}>
      {onDeleteSelected ? (
        <TableBatchActions
          shouldShowBatchActions={selecting}
          totalSelected={selectedCount}
          onCancel={selection.clear}
        >
          <TableBatchAction
            renderIcon={TrashCan}
            tabIndex={selecting ? 0 : -1}
            onClick={() => onDeleteSelected(selection.selectedRows)}
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
          onChange={(event) => {
            onSearch(typeof event === 'string' ? '' : event.target.value);
            selection.clear();
          }}
        />
      </TableToolbarContent>
    </TableToolbar>
  );
}
