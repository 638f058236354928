import { describe, expect, it } from 'vitest';
import { replacementRowIndex } from './focus-rescue';

describe('replacementRowIndex', () => {
  it('takes the row that moved up into the removed row’s place', () => {
    expect(replacementRowIndex(2, 5)).toBe(2);
  });

  it('takes the last row when the last row went', () => {
    expect(replacementRowIndex(4, 4)).toBe(3);
    expect(replacementRowIndex(9, 3)).toBe(2);
  });

  it('has no row to offer when the table is empty or the control was in no row', () => {
    expect(replacementRowIndex(0, 0)).toBeNull();
    expect(replacementRowIndex(-1, 3)).toBeNull();
  });
});
