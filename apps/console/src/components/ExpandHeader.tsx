import { TableExpandHeader } from '@carbon/react';

/**
 * The head of an expandable table's toggle column, named in visible text: Carbon gives an
 * aria-label to its expand-all button only, and axe's empty-table-header wants text a sighted
 * reader sees too.
 */
export function ExpandHeader({ label, id }: { label: string; id?: string }) {
  return (
    <TableExpandHeader id={id} className="berth-expand-header">
      {label}
    </TableExpandHeader>
  );
}
