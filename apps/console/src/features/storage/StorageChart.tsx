import { useId } from 'react';
import { formatBytes } from '../../lib/format';
import { barScale, type StorageBar } from './storage-chart-data';
import './storage.scss';

export interface StorageSeries {
  name: string;
  /** Picks the segment's colour: `live` or `trash`. */
  kind: 'live' | 'trash';
}

interface StorageChartProps {
  title: string;
  /** One line under the title: what is counted, and what is not. */
  description: string;
  /** Header of the name column in the text alternative ("Namespace", "Repository"). */
  nameHeader: string;
  series: StorageSeries[];
  bars: StorageBar[];
}

/**
 * Horizontal bars, stacked per series, with their sizes in words beside them. The bars are a
 * picture for the eye only (aria-hidden); assistive technology reads the same figures from a
 * visually hidden table, which is also what tests read.
 */
export function StorageChart({ title, description, nameHeader, series, bars }: StorageChartProps) {
  const titleId = useId();
  const descriptionId = useId();
  const scale = barScale(bars);
  const stacked = series.length > 1;
  return (
    <figure className="berth-storage-chart" aria-labelledby={titleId}>
      <figcaption className="berth-storage-chart__caption">
        <span id={titleId} className="berth-storage-chart__title">
          {title}
        </span>
        <span id={descriptionId} className="berth-storage-chart__description">
          {description}
        </span>
      </figcaption>
      {stacked ? (
        <ul className="berth-storage-chart__legend" aria-hidden="true">
          {series.map((s) => (
            <li key={s.name}>
              <span
                className={`berth-storage-chart__swatch berth-storage-chart__segment--${s.kind}`}
              />
              {s.name}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="berth-storage-chart__bars" aria-hidden="true">
        {bars.map((bar) => (
          <div
            key={bar.label}
            className={`berth-storage-chart__row${bar.others ? ' berth-storage-chart__row--others' : ''}`}
          >
            <span className="berth-storage-chart__name" title={bar.label}>
              {bar.label}
            </span>
            <span className="berth-storage-chart__track">
              {series.map((s, i) => {
                const bytes = bar.values[i] ?? 0;
                return bytes > 0 ? (
                  <span
                    key={s.name}
                    className={`berth-storage-chart__segment berth-storage-chart__segment--${s.kind}`}
                    style={{ inlineSize: `${scale(bytes) * 100}%` }}
                  />
                ) : null;
              })}
            </span>
            <span className="berth-storage-chart__value">{barWords(bar, series)}</span>
          </div>
        ))}
      </div>
      {/* Named by the title alone: the description ("4 namespaces …") would make the name
          match the page's own table ("Namespaces") for anyone finding tables by name. */}
      <table className="cds--visually-hidden" aria-describedby={descriptionId}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{nameHeader}</th>
            {series.map((s) => (
              <th key={s.name} scope="col">
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {bars.map((bar) => (
            <tr key={bar.label}>
              <th scope="row">{bar.label}</th>
              {series.map((s, i) => (
                <td key={s.name}>{formatBytes(bar.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** "1.2 GiB", or "1.2 GiB + 300 MiB trash" when a second series has something. */
function barWords(bar: StorageBar, series: StorageSeries[]): string {
  const [first = 0, ...rest] = bar.values;
  const extra = rest
    .map((bytes, i) =>
      bytes > 0 ? ` + ${formatBytes(bytes)} ${series[i + 1]?.name.toLowerCase() ?? ''}` : '',
    )
    .join('');
  return `${formatBytes(first)}${extra}`;
}
