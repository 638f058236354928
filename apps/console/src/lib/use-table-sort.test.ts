import { describe, expect, it } from 'vitest';
import { nextSort, type SortOrder, type TableSort } from './use-table-sort';

type Column = 'name' | 'sizeBytes';
const cases: [string, TableSort<Column>, Column, SortOrder, TableSort<Column>][] = [
  [
    'flips the sorted column',
    { key: 'name', order: 'asc' },
    'name',
    'asc',
    { key: 'name', order: 'desc' },
  ],
  ['flips it back', { key: 'name', order: 'desc' }, 'name', 'asc', { key: 'name', order: 'asc' }],
  [
    'sorts another column newest/largest first',
    { key: 'name', order: 'asc' },
    'sizeBytes',
    'desc',
    { key: 'sizeBytes', order: 'desc' },
  ],
  [
    'sorts names A→Z first, whatever came before',
    { key: 'sizeBytes', order: 'asc' },
    'name',
    'asc',
    { key: 'name', order: 'asc' },
  ],
];

describe('sorting a table by a click on a column', () => {
  it.each(cases)('%s', (_, current, clicked, firstOrder, next) => {
    expect(nextSort(current, clicked, firstOrder)).toEqual(next);
  });
});
