import type { AuditFilters } from '../../api/query-keys';

export const EMPTY_FILTERS: AuditFilters = {
  actor: '',
  action: '',
  namespace: '',
  outcome: '',
  from: '',
  to: '',
};

const KEYS = Object.keys(EMPTY_FILTERS) as (keyof AuditFilters)[];

/** The page's address holds the filters, so a filtered view can be bookmarked or shared. */
export function filtersFromSearch(search: URLSearchParams): AuditFilters {
  const filters = { ...EMPTY_FILTERS };
  for (const key of KEYS) {
    const value = search.get(key) ?? '';
    if (key === 'outcome') {
      filters.outcome = value === 'success' || value === 'failure' ? value : '';
    } else if (key === 'from' || key === 'to') {
      filters[key] = Number.isNaN(Date.parse(value)) ? '' : value;
    } else {
      filters[key] = value.trim();
    }
  }
  return filters;
}

export function isFiltered(filters: AuditFilters): boolean {
  return KEYS.some((key) => filters[key] !== '');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as a `datetime-local` input shows it: the browser's own time zone. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (iso === '' || Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(
    date.getHours(),
  )}:${pad(date.getMinutes())}`;
}

/** A `datetime-local` value (local time, no zone) as the ISO instant the API takes. */
export function fromLocalInput(value: string): string {
  if (value === '') return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
