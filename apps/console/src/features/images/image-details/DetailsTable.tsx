import {
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';
import type { ReactNode } from 'react';

export interface DetailsColumn<T> {
  header: string;
  render: (row: T, index: number) => ReactNode;
  /** The cell that names the row: first, and full width when the table stacks. */
  primary?: boolean;
}

interface DetailsTableProps<T> {
  label: string;
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  columns: readonly DetailsColumn<T>[];
}

/**
 * A read-only table that, on a narrow screen, turns each row into a block of label/value lines
 * (the header repeated beside each value), so no row's name or digest hides off the side.
 */
export function DetailsTable<T>({ label, rows, rowKey, columns }: DetailsTableProps<T>) {
  return (
    <TableContainer className="berth-details-table">
      <Table aria-label={label} size="md">
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
                  data-label={column.header}
                  className={column.primary ? 'berth-details-table__primary' : undefined}
                >
                  {column.render(row, index)}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
