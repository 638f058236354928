/** One bar of a storage chart: a name and its bytes per series (live, trash). */
export interface StorageBar {
  /** Unique within the chart; also the visible name. */
  label: string;
  /** Bytes per series, in the chart's series order. */
  values: number[];
  /** The bar that stands for everything past the top N. */
  others?: boolean;
}

export const CHART_TOP = 10;

const total = (bar: StorageBar) => bar.values.reduce((sum, v) => sum + v, 0);

/**
 * The `top` largest bars (by their total) and, when there are more, one bar summing the rest
 * ("12 others"). For a list the console already holds in full.
 */
export function largestWithOthers(bars: StorageBar[], top = CHART_TOP): StorageBar[] {
  const sorted = [...bars].sort((a, b) => total(b) - total(a) || a.label.localeCompare(b.label));
  const shown = sorted.slice(0, top);
  const rest = sorted.slice(top);
  if (rest.length === 0) return shown;
  const width = Math.max(...rest.map((bar) => bar.values.length));
  const sums = Array.from({ length: width }, (_, i) =>
    rest.reduce((sum, bar) => sum + (bar.values[i] ?? 0), 0),
  );
  return [...shown, { label: othersLabel(rest.length), values: sums, others: true }];
}

/**
 * The server's largest `top` (asked for sorted by size, so nothing reads every repository)
 * and one bar for the rest, from the namespace's own totals. The two answers are separate
 * requests, so a push between them could make the rest look negative: it is never shown below
 * zero, and not at all when nothing is left over.
 */
export function topWithOthersFromTotals(
  top: StorageBar[],
  totals: { count: number; bytes: number },
): StorageBar[] {
  const restCount = totals.count - top.length;
  if (restCount <= 0) return top;
  const restBytes = Math.max(0, totals.bytes - top.reduce((sum, bar) => sum + total(bar), 0));
  return [...top, { label: othersLabel(restCount), values: [restBytes], others: true }];
}

function othersLabel(count: number): string {
  return count === 1 ? '1 other' : `${count.toLocaleString()} others`;
}

/** Each bar's length as a share of the longest, for drawing; 0 when every bar is empty. */
export function barScale(bars: StorageBar[]): (bytes: number) => number {
  const longest = Math.max(0, ...bars.map(total));
  return (bytes) => (longest > 0 ? bytes / longest : 0);
}
