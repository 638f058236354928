import { useState } from 'react';

export type SortOrder = 'asc' | 'desc';
export interface TableSort<K extends string> {
  key: K;
  order: SortOrder;
}

/**
 * After a click on column `key`: the sorted column flips its order; another column sorts in
 * the order it reads best first (names A→Z, sizes and dates largest or newest first).
 */
export function nextSort<K extends string>(
  current: TableSort<K>,
  key: K,
  firstOrder: SortOrder,
): TableSort<K> {
  if (current.key !== key) return { key, order: firstOrder };
  return { key, order: current.order === 'asc' ? 'desc' : 'asc' };
}

/** Server-side sort of a table by one column, with the props its headers take. */
export function useTableSort<K extends string>(initial: TableSort<K>) {
  const [sort, setSort] = useState(initial);
  /** Spread on a Carbon TableHeader. */
  const headerProps = (key: K, firstOrder: SortOrder) => {
    const sortDirection: 'NONE' | 'ASC' | 'DESC' =
      sort.key !== key ? 'NONE' : sort.order === 'asc' ? 'ASC' : 'DESC';
    return {
      isSortable: true,
      isSortHeader: sort.key === key,
      sortDirection,
      onClick: () => setSort((current) => nextSort(current, key, firstOrder)),
    };
  };
  return { sort, headerProps };
}
