import { TableHeader } from '@carbon/react';

/**
 * The head of a table's row-actions column. It names the column in text that screen readers
 * read (axe's empty-table-header wants text, not only an aria-label), kept off screen: a
 * visible "Actions" widened the column and pushed the images table's row menus past the edge
 * at 1280 px.
 */
export function ActionsHeader() {
  return (
    <TableHeader className="berth-actions-header">
      <span className="cds--visually-hidden">Actions</span>
    </TableHeader>
  );
}
