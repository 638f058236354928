import { TableHead, TableHeader, TableRow } from '@carbon/react';

/** The head of a plain table; an empty header is the row-actions column and is named so. */
export function TableHeaderRow({ headers }: { headers: readonly string[] }) {
  return (
    <TableHead>
      <TableRow>
        {headers.map((header, index) => (
          <TableHeader key={index} aria-label={header || 'Actions'}>
            {header}
          </TableHeader>
        ))}
      </TableRow>
    </TableHead>
  );
}
