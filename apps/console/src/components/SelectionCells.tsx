import { TableSelectAll, TableSelectRow } from '@carbon/react';
import type { RowSelection } from '../lib/use-row-selection';

interface SelectAllCellProps<T> {
  /** id and name of the box, unique on the page. */
  name: string;
  label: string;
  selection: RowSelection<T>;
}

/** The header's box of a table with selectable rows. */
export function SelectAllCell<T>({ name, label, selection }: SelectAllCellProps<T>) {
  return <TableSelectAll id={name} name={name} aria-label={label} {...selection.selectAll} />;
}

interface SelectRowCellProps<T> extends SelectAllCellProps<T> {
  row: T;
  /** A row that cannot be picked now, e.g. one a running delete is removing. */
  disabled?: boolean;
}

/** A row's box; checked as the selection says, so it survives the list refetching. */
export function SelectRowCell<T>({ name, label, selection, row, disabled }: SelectRowCellProps<T>) {
  return (
    <TableSelectRow
      id={name}
      name={name}
      aria-label={label}
      checked={selection.isSelected(row)}
      disabled={disabled}
      onSelect={() => selection.toggle(row)}
    />
  );
}
