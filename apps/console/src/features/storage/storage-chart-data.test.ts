import { describe, expect, it } from 'vitest';
import { barScale, largestWithOthers, topWithOthersFromTotals } from './storage-chart-data';

const bar = (label: string, ...values: number[]) => ({ label, values });

describe('largest with others', () => {
  it('keeps everything, largest first, when there are no more than the top', () => {
    expect(largestWithOthers([bar('a', 1, 0), bar('b', 5, 0), bar('c', 2, 2)], 3)).toEqual([
      bar('b', 5, 0),
      bar('c', 2, 2),
      bar('a', 1, 0),
    ]);
  });

  it('ranks by the stacked total and sums the rest per series', () => {
    const bars = [bar('a', 1, 9), bar('b', 6, 0), bar('c', 3, 1), bar('d', 1, 1), bar('e', 0, 1)];
    expect(largestWithOthers(bars, 2)).toEqual([
      bar('a', 1, 9),
      bar('b', 6, 0),
      { label: '3 others', values: [4, 3], others: true },
    ]);
    expect(largestWithOthers(bars, 4).at(-1)).toEqual({
      label: '1 other',
      values: [0, 1],
      others: true,
    });
  });

  it('orders equal totals by name, so the chart does not reshuffle between loads', () => {
    expect(
      largestWithOthers([bar('z', 1), bar('m', 1), bar('a', 1)], 2).map((b) => b.label),
    ).toEqual(['a', 'm', '1 other']);
  });
});

describe('top with others from totals', () => {
  const top = [bar('big', 700), bar('mid', 200)];

  it('adds what the namespace holds beyond the top as one bar', () => {
    expect(topWithOthersFromTotals(top, { count: 5, bytes: 1000 })).toEqual([
      ...top,
      { label: '3 others', values: [100], others: true },
    ]);
  });

  it('adds nothing when the top is everything', () => {
    expect(topWithOthersFromTotals(top, { count: 2, bytes: 900 })).toEqual(top);
  });

  it('never shows the rest below zero when the totals are older than the list', () => {
    expect(topWithOthersFromTotals(top, { count: 3, bytes: 850 }).at(-1)).toEqual({
      label: '1 other',
      values: [0],
      others: true,
    });
  });
});

describe('bar scale', () => {
  it('measures each bar against the longest stacked bar', () => {
    const scale = barScale([bar('a', 30, 10), bar('b', 20)]);
    expect(scale(40)).toBe(1);
    expect(scale(10)).toBe(0.25);
  });

  it('draws nothing when every bar is empty', () => {
    expect(barScale([bar('a', 0)])(0)).toBe(0);
    expect(barScale([])(0)).toBe(0);
  });
});
