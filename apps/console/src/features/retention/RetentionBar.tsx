import { Tag } from '@carbon/react';
import { WarningAltFilled } from '@carbon/icons-react';
import type { RetentionDecision, RetentionPreviewItem } from '@berth/contract';

interface Counts {
  keep: number;
  protected: number;
  delete: number;
}

export function describeCounts({ keep, protected: kept, delete: del }: Counts): string {
  return `${keep.toLocaleString()} kept, ${kept.toLocaleString()} protected, ${del.toLocaleString()} to delete`;
}

/**
 * Kept versus deleted as one horizontal bar, so a long list of repositories can be scanned
 * by eye; the numbers are its accessible name and sit beside it in the table.
 */
export function RetentionBar({ counts, wide = false }: { counts: Counts; wide?: boolean }) {
  const total = counts.keep + counts.protected + counts.delete;
  const label = describeCounts(counts);
  const segments = [
    { key: 'keep', value: counts.keep },
    { key: 'protected', value: counts.protected },
    { key: 'delete', value: counts.delete },
  ] as const;
  return (
    <div
      className={`berth-retention-bar${wide ? ' berth-retention-bar--wide' : ''}`}
      role="img"
      aria-label={label}
      title={label}
    >
      {total === 0
        ? null
        : segments.map((segment) =>
            segment.value > 0 ? (
              <span
                key={segment.key}
                className={`berth-retention-bar__segment berth-retention-bar__segment--${segment.key}`}
                style={{ flexGrow: segment.value }}
              />
            ) : null,
          )}
    </div>
  );
}

export function RetentionLegend() {
  return (
    <ul className="berth-retention-legend" aria-label="Legend">
      <li>
        <span className="berth-retention-legend__swatch berth-retention-bar__segment--keep" />
        Kept
      </li>
      <li>
        <span className="berth-retention-legend__swatch berth-retention-bar__segment--protected" />
        Protected
      </li>
      <li>
        <span className="berth-retention-legend__swatch berth-retention-bar__segment--delete" />
        To delete
      </li>
    </ul>
  );
}

const DECISIONS: Record<RetentionDecision, { label: string; type: 'green' | 'purple' | 'red' }> = {
  keep: { label: 'keep', type: 'green' },
  protected: { label: 'protected', type: 'purple' },
  delete: { label: 'delete', type: 'red' },
};

export function DecisionTag({ decision }: { decision: RetentionDecision }) {
  const { label, type } = DECISIONS[decision];
  return (
    <Tag type={type} size="sm">
      {label}
    </Tag>
  );
}

/** An image that moved since the preview is skipped by the confirmation; say so up front. */
export function StateTag({ state }: { state: RetentionPreviewItem['state'] }) {
  if (state === 'unchanged') return null;
  return (
    <Tag
      type="warm-gray"
      size="sm"
      className="berth-state-tag"
      title="Confirming this preview will skip this image"
    >
      {/* Carbon draws no custom icon on small tags, so the icon goes in the text. */}
      <WarningAltFilled aria-hidden className="berth-state-tag__icon" />
      {state === 'changed' ? 'changed since preview' : 'gone since preview'}
    </Tag>
  );
}
