import { Button } from '@carbon/react';

interface LoadMoreProps {
  shown: number;
  noun: string;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  onLoadMore: () => void;
}

/** Cursor pagination: the server does not count, so neither do we pretend to. */
export function LoadMore({
  shown,
  noun,
  hasNextPage,
  isFetchingNextPage,
  onLoadMore,
}: LoadMoreProps) {
  if (shown === 0) return null;
  return (
    <div className="berth-load-more">
      <span className="berth-load-more__count">
        Showing {shown.toLocaleString()} {noun}
        {hasNextPage ? ' · more available' : ''}
      </span>
      {hasNextPage ? (
        <Button kind="ghost" size="sm" onClick={onLoadMore} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? 'Loading…' : 'Load more'}
        </Button>
      ) : null}
    </div>
  );
}
