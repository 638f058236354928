import { useToggleSet } from './use-toggle-set';

/**
 * The checked rows of a table with a select-all box. Rows are picked by key, not by object,
 * so a selection survives the list refetching.
 */
export function useRowSelection<T>(rows: readonly T[], keyOf: (row: T) => string) {
  const [selected, toggle, setSelected] = useToggleSet<string>();
  const selectedRows = rows.filter((row) => selected.has(keyOf(row)));
  const allSelected = rows.length > 0 && selectedRows.length === rows.length;
  return {
    selectedRows,
    isSelected: (row: T) => selected.has(keyOf(row)),
    toggle: (row: T) => toggle(keyOf(row)),
    clear: () => setSelected(new Set()),
    /** Spread on TableSelectAll; a click with only some rows checked checks them all. */
    selectAll: {
      checked: allSelected,
      indeterminate: selectedRows.length > 0 && !allSelected,
      onSelect: () => setSelected(allSelected ? new Set() : new Set(rows.map(keyOf))),
    },
  };
}

export type RowSelection<T> = ReturnType<typeof useRowSelection<T>>;
