import { TableHead, TableHeader, TableRow } from '@carbon/react';
import { ActionsHeader } from './ActionsHeader';

/** The head of a plain table; an empty header is the row-actions column and is named so. */
export function TableHeaderRow({ headers }: { headers: readonly string[] }) {
  return (
    <TableHead>
      <TableRow>
        {headers.map((header, index) =>
          header ? <TableHeader key={index}>{header}</TableHeader> : <ActionsHeader key={index} />,
        )}
      </TableRow>
    </TableHead>
  );
}
