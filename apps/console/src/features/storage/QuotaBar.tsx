import { ErrorFilled, WarningAltFilled } from '@carbon/icons-react';
import { useId } from 'react';
import { formatBytes } from '../../lib/format';
import { quotaAdvice, type QuotaUse } from './quota-use';
import './storage.scss';

interface QuotaBarProps {
  use: QuotaUse;
  /** The trash's size, said beside the bar because the quota does not count it. */
  trashBytes: number;
  /** Names the bar for assistive technology; shown as its title unless `compact`. */
  label: string;
  /** One thin bar and its share, for a table cell; the full words stay its accessible value. */
  compact?: boolean;
  /** What the page's actions do to the quota, after the advice and the trash note. */
  note?: string;
}

/**
 * A namespace's quota use. Drawn with Carbon's ProgressBar styles, but as a `meter`, not
 * Carbon's ProgressBar itself: that component is for work in progress (it is `aria-busy`,
 * announces "Loading", and its error state empties the bar), while a quota is a level that
 * can be full or past full.
 */
export function QuotaBar({ use, trashBytes, label, compact = false, note }: QuotaBarProps) {
  const labelId = useId();
  const helperId = useId();
  const advice = quotaAdvice(use);
  const trash =
    trashBytes > 0 ? `The trash holds ${formatBytes(trashBytes)} more, not counted.` : null;
  const Icon = use.level === 'full' ? ErrorFilled : use.level === 'near' ? WarningAltFilled : null;
  // What to do comes first, beside the icon that marks it; the trash note follows.
  const helper = compact ? advice : [advice, trash, note].filter(Boolean).join(' ') || null;
  return (
    <div
      className={`cds--progress-bar cds--progress-bar--small berth-quota-bar berth-quota-bar--${use.level}${
        compact ? ' berth-quota-bar--compact' : ''
      }`}
    >
      <div className="cds--progress-bar__label" id={labelId}>
        <span className={compact ? 'cds--visually-hidden' : 'cds--progress-bar__label-text'}>
          {label}
        </span>
        {compact ? null : <span className="berth-quota-bar__words">{use.words}</span>}
      </div>
      <div
        className="cds--progress-bar__track berth-quota-bar__track"
        role="meter"
        aria-labelledby={labelId}
        aria-describedby={helper ? helperId : undefined}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, Math.round(use.fraction * 100))}
        aria-valuetext={use.words}
      >
        <div
          className="berth-quota-bar__fill"
          style={{ inlineSize: `${Math.min(1, use.fraction) * 100}%` }}
        />
      </div>
      {compact ? (
        <div className="berth-quota-bar__share" aria-hidden="true">
          {Icon ? <Icon className="berth-quota-bar__icon" /> : null}
          {use.percent} of {formatBytes(use.quotaBytes)}
        </div>
      ) : null}
      {helper ? (
        <div
          id={helperId}
          className={`cds--progress-bar__helper-text${compact ? ' cds--visually-hidden' : ''}`}
        >
          {Icon && !compact ? <Icon className="berth-quota-bar__icon" /> : null}
          {helper}
        </div>
      ) : null}
    </div>
  );
}
