import { DataTableSkeleton } from '@carbon/react';
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { ErrorNotification } from './ErrorNotification';

interface ResourceTableStateProps {
  isPending: boolean;
  error: ApiError | null;
  /** True when the loaded list has no rows. */
  isEmpty: boolean;
  /** True when a search or filter is active: an empty list then means "no matches". */
  isFiltered: boolean;
  columnCount: number;
  emptyTitle: string;
  emptyBody: ReactNode;
  noMatchBody?: ReactNode;
  onRetry: () => void;
  children: ReactNode;
}

/**
 * Owns the four states every list has: loading, failed, nothing there, nothing matching.
 * Pages only render the table for the fourth one, "rows to show".
 */
export function ResourceTableState(props: ResourceTableStateProps) {
  const { isPending, error, isEmpty, isFiltered, columnCount } = props;
  if (isPending) {
    return (
      <DataTableSkeleton
        columnCount={columnCount}
        rowCount={5}
        showHeader={false}
        showToolbar={false}
        aria-label="Loading"
      />
    );
  }
  if (error) {
    return <ErrorNotification error={error} onRetry={props.onRetry} />;
  }
  if (isEmpty) {
    return isFiltered ? (
      <div className="berth-empty" role="status">
        <h2 className="berth-empty__title">No matches</h2>
        <p className="berth-empty__body">
          {props.noMatchBody ?? 'Nothing matches this search. Try a shorter or different term.'}
        </p>
      </div>
    ) : (
      <div className="berth-empty" role="status">
        <h2 className="berth-empty__title">{props.emptyTitle}</h2>
        <div className="berth-empty__body">{props.emptyBody}</div>
      </div>
    );
  }
  return <>{props.children}</>;
}
