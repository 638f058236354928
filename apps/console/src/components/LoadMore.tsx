import { Button } from '@carbon/react';

interface LoadMoreProps {
  shown: number;
  noun: string;
  /** The cursor list being shown (from useCursorList). */
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}

/** Cursor pagination: the server does not count, so neither do we pretend to. */
export function LoadMore({ shown, noun, list }: LoadMoreProps) {
  const { hasNextPage, isFetchingNextPage } = list;
  if (shown === 0) return null;
  return (
    <div className="berth-load-more">
      <span className="berth-load-more__count">
        Showing {shown.toLocaleString()} {noun}
        {hasNextPage ? ' · more available' : ''}
      </span>
      {hasNextPage ? (
        <Button
          kind="ghost"
          size="sm"
          onClick={() => void list.fetchNextPage()}
          disabled={isFetchingNextPage}
        >
          {isFetchingNextPage ? 'Loading…' : 'Load more'}
        </Button>
      ) : null}
    </div>
  );
}
