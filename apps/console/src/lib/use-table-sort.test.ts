import { describe, expect, it } from 'vitest';
import { nextSort } from './use-table-sort';

describe('sorting a table by a click on a column', () => {
  it('flips the order of the sorted column', () => {
    expect(nextSort({ key: 'name', order: 'asc' }, 'name', 'asc')).toEqual({
      key: 'name',
      order: 'desc',
    });
    expect(nextSort({ key: 'name', order: 'desc' }, 'name', 'asc')).toEqual({
      key: 'name',
      order: 'asc',
    });
  });

  it('sorts by another column in the order that column reads best first', () => {
    expect(nextSort({ key: 'name', order: 'asc' }, 'sizeBytes', 'desc')).toEqual({
      key: 'sizeBytes',
      order: 'desc',
    });
    expect(nextSort({ key: 'sizeBytes', order: 'asc' }, 'name', 'asc')).toEqual({
      key: 'name',
      order: 'asc',
    });
  });
});
