import { Table } from '@carbon/react';
import { useId, useLayoutEffect, type ComponentProps } from 'react';
import { columnRoles, type HeaderCell } from '../lib/table-cell-roles';

type StackingTableProps = ComponentProps<typeof Table>;

function headerCells(table: HTMLTableElement): HeaderCell[] {
  const row = table.tHead?.rows[0];
  if (!row) return [];
  return Array.from(row.cells, (cell) => ({
    // Carbon puts the text of a sortable header in a label span beside its sort icons.
    text: (cell.querySelector('.cds--table-header-label') ?? cell).textContent ?? '',
    isCheckbox: cell.classList.contains('cds--table-column-checkbox'),
    isExpand: cell.classList.contains('cds--table-expand'),
    isActions: cell.classList.contains('berth-actions-header'),
    span: cell.colSpan,
  }));
}

function setAttribute(element: Element, name: string, value: string) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

/**
 * Marks every body cell with its column's role and header (data-cell, data-label) for the
 * stacked layout in styles.scss. Only this table's own rows: a table nested in an expanded
 * row labels itself. A cell spanning the whole row (an expansion, a message) is "full".
 */
function labelCells(table: HTMLTableElement) {
  const roles = columnRoles(headerCells(table));
  // A table restyled with `display` loses its table semantics in some browsers (Safari);
  // explicit roles keep it a table, with its headers, for screen readers.
  setRoleIfNone(table, 'table');
  for (const section of [table.tHead, ...Array.from(table.tBodies)]) {
    if (!section) continue;
    setRoleIfNone(section, 'rowgroup');
    for (const row of Array.from(section.rows)) {
      setRoleIfNone(row, 'row');
      let column = 0;
      for (const cell of Array.from(row.cells)) {
        if (section === table.tHead) {
          setRoleIfNone(cell, 'columnheader');
          continue;
        }
        setRoleIfNone(cell, 'cell');
        const span = Math.max(1, cell.colSpan);
        const role = span >= roles.length && roles.length > 1 ? null : roles[column];
        setAttribute(cell, 'data-cell', role?.role ?? 'full');
        if (role?.role === 'field' || role?.role === 'identity') {
          setAttribute(cell, 'data-label', role.label);
        }
        column += span;
      }
    }
  }
}

function setRoleIfNone(element: Element, role: string) {
  if (!element.hasAttribute('role')) element.setAttribute('role', role);
}

/**
 * Carbon's Table, which on a narrow screen (styles.scss, "stacked tables") shows each row as a
 * card: its name and its actions on the first line, the other columns below it, each under its
 * header's name. Nothing scrolls sideways and no row's name or actions hide off the side.
 * Every console table uses it; the cells need no extra props, their headers say what they are.
 */
export function StackingTable({ className, ...props }: StackingTableProps) {
  const id = useId();
  useLayoutEffect(() => {
    const table = document.querySelector<HTMLTableElement>(
      `table[data-stacking="${CSS.escape(id)}"]`,
    );
    if (!table) return;
    labelCells(table);
    // Rows come and go (paging, filters, expanding) without this component rendering again.
    const observer = new MutationObserver(() => labelCells(table));
    observer.observe(table, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [id]);
  return (
    <Table
      {...props}
      data-stacking={id}
      className={className ? `berth-stacking-table ${className}` : 'berth-stacking-table'}
    />
  );
}
