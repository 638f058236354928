import { TableHeader } from '@carbon/react';

/**
 * The head of a table's row-actions column. Its name is visible text, not only an
 * aria-label: axe's empty-table-header (and sighted screen-reader users) need text there.
 */
export function ActionsHeader() {
  return <TableHeader className="berth-actions-header">Actions</TableHeader>;
}
