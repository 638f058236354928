import {
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';
import type { ReactNode } from 'react';
import { StackingTable } from '../../../components/StackingTable';

export interface DetailsColumn<T> {
  header: string;
  render: (row: T, index: number) => ReactNode;
  /** The cell that names the row; it comes first, and may wrap where the others do not. */
  primary?: boolean;
}

interface DetailsTableProps<T> {
  label: string;
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  columns: readonly DetailsColumn<T>[];
}

/**
 * A read-only table of an image's parts. On a narrow screen StackingTable turns each row into a
 * card: the primary (first) column as its title, every other value under its column's name.
 */
export function DetailsTable<T>({ label, rows, rowKey, columns }: DetailsTableProps<T>) {
  return (
    <TableContainer className="berth-details-table">
      <StackingTable aria-label={label} size="md">
        <TableHead>
          <TableRow>
            {columns.map((column) => (
              <TableHeader key={column.header}>{column.header}</TableHeader>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row, index) => (
            <TableRow key={rowKey(row, index)}>
              {columns.map((column) => (
                <TableCell
                  key={column.header}
                  className={column.primary ? 'berth-details-table__primary' : undefined}
                >
                  {column.render(row, index)}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </StackingTable>
    </TableContainer>
  );
}
