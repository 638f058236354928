const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Sizes for people, in binary units because registries and `du` report layer sizes that way:
 * "1000 B", "7.0 KiB", "12.0 MiB", "512 GiB" (one decimal below 100). The console and the
 * registry's messages both use this, so a quota reads the same in both.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export interface QuotaRefusal {
  namespace: string;
  /** What the namespace holds now. */
  usedBytes: number;
  quotaBytes: number;
  /** What the refused push would add; omitted when the namespace is already full. */
  neededBytes?: number;
  /** What was refused: a blob upload or an image (manifest) that adds blobs. */
  what: 'upload' | 'image';
}

/**
 * Why a push went over a namespace's quota, with the three figures a person needs to decide
 * what to delete: "namespace "acme" uses 7.0 KiB of its 10.0 MiB quota; this upload needs
 * 12.0 MiB".
 */
export function quotaExceededMessage(r: QuotaRefusal): string {
  const usage = `namespace "${r.namespace}" uses ${formatBytes(r.usedBytes)} of its ${formatBytes(r.quotaBytes)} quota`;
  const need =
    r.neededBytes === undefined
      ? 'it is full'
      : `this ${r.what} needs ${formatBytes(r.neededBytes)}${r.what === 'image' ? ' more' : ''}`;
  return `${usage}; ${need}. Delete images or ask an administrator to raise the quota`;
}
