import { Button } from '@carbon/react';
import { pluralize } from '../lib/format';

interface LoadMoreProps {
  shown: number;
  /** One of what is listed ("image"); `plural` when adding an s is wrong ("repositories"). */
  noun: string;
  plural?: string;
  /** The cursor list being shown (from useCursorList). */
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}

/** Cursor pagination: the server does not count, so neither do we pretend to. */
export function LoadMore({ shown, noun, plural, list }: LoadMoreProps) {
  const { hasNextPage, isFetchingNextPage } = list;
  if (shown === 0) return null;
  return (
    <div className="berth-load-more">
      <span className="berth-load-more__count">
        Showing {pluralize(shown, noun, plural)}
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
