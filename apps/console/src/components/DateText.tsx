import { formatDate, formatDateTime } from '../lib/format';

/** The day in the cell, the exact time on hover and for assistive tech via `dateTime`. */
export function DateText({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="berth-muted">—</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatDate(iso)}
    </time>
  );
}
