import { useState } from 'react';

/**
 * Keys of rows that are open or selected. Each change makes a new set: React compares state
 * by identity, so adding to the same set would not render.
 */
export function useToggleSet<K>() {
  const [set, setSet] = useState<ReadonlySet<K>>(() => new Set());
  const toggle = (key: K) =>
    setSet((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  return [set, toggle, setSet] as const;
}
