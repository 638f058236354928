import { TableToolbarSearch } from '@carbon/react';
import { TrashCan } from '@carbon/icons-react';
import type { RowSelection } from '../lib/use-row-selection';
import { BatchActionToolbar } from './BatchActionToolbar';

interface SelectionToolbarProps<T> {
  /** Accessible name of the toolbar, e.g. "Images toolbar". */
  label: string;
  searchLabel: string;
  searchPlaceholder: string;
  selection: RowSelection<T>;
  /** Absent where the person may not delete: the toolbar is only a search. */
  onDeleteSelected?: (rows: T[]) => void;
  onSearch: (text: string) => void;
  /** Text the search box starts with. */
  defaultSearch?: string;
}

/**
 * A table toolbar with server-side search that turns into a batch "Delete" bar while
 * rows are selected. A new search clears the selection: rows it hides must not be deleted
 * unseen.
 */
export function SelectionToolbar<T>({
  label,
  searchLabel,
  searchPlaceholder,
  selection,
  onDeleteSelected,
  onSearch,
  defaultSearch,
}: SelectionToolbarProps<T>) {
  return (
    <BatchActionToolbar
      label={label}
      selection={selection}
      action={
        onDeleteSelected ? { text: 'Delete', icon: TrashCan, onClick: onDeleteSelected } : undefined
      }
    >
      {(tabIndex) => (
        <TableToolbarSearch
          persistent
          defaultValue={defaultSearch}
          labelText={searchLabel}
          placeholder={searchPlaceholder}
          tabIndex={tabIndex}
          onChange={(event, value) => {
            // Carbon calls this with '' and the text once on mount when given a default.
            onSearch(typeof event === 'string' ? (value ?? '') : event.target.value);
            selection.clear();
          }}
        />
      )}
    </BatchActionToolbar>
  );
}
