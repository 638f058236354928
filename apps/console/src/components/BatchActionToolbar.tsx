import {
  TableBatchAction,
  TableBatchActions,
  TableToolbar,
  TableToolbarContent,
} from '@carbon/react';
import type { ElementType, ReactNode } from 'react';
import type { RowSelection } from '../lib/use-row-selection';

export interface BatchAction<T> {
  text: string;
  icon: ElementType;
  disabled?: boolean;
  onClick: (rows: T[]) => void;
}

interface BatchActionToolbarProps<T> {
  /** Accessible name of the toolbar, e.g. "Trash toolbar". */
  label: string;
  selection: RowSelection<T>;
  /** What is done to the selected rows; absent, the toolbar never turns into a batch bar. */
  action?: BatchAction<T>;
  /** What shows while nothing is selected, given the tab index it must take. */
  children: (tabIndex: 0 | -1) => ReactNode;
}

/**
 * A table toolbar that turns into a batch bar with one action while rows are selected. The
 * hidden half leaves the tab order, so the keyboard reaches only what is shown.
 */
export function BatchActionToolbar<T>({
  label,
  selection,
  action,
  children,
}: BatchActionToolbarProps<T>) {
  const count = selection.selectedRows.length;
  const selecting = action !== undefined && count > 0;
  return (
    <TableToolbar aria-label={label}>
      {action ? (
        <TableBatchActions
          shouldShowBatchActions={selecting}
          totalSelected={count}
          onCancel={selection.clear}
        >
          <TableBatchAction
            renderIcon={action.icon}
            tabIndex={selecting ? 0 : -1}
            disabled={action.disabled}
            onClick={() => action.onClick(selection.selectedRows)}
          >
            {action.text}
          </TableBatchAction>
        </TableBatchActions>
      ) : null}
      <TableToolbarContent aria-hidden={selecting}>
        {children(selecting ? -1 : 0)}
      </TableToolbarContent>
    </TableToolbar>
  );
}
