import { describe, expect, it } from 'vitest';
import { auditCsvUrl, auditSearchParams } from '../../api/audit';
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  fromLocalInput,
  isFiltered,
  toLocalInput,
} from './audit-filters';

describe('audit filters', () => {
  it('reads the filters from the address, dropping values the API would refuse', () => {
    const filters = filtersFromSearch(
      new URLSearchParams(
        'actor=user:admin&action=session&outcome=maybe&from=2025-01-02T03:04:00.000Z&to=yesterday',
      ),
    );
    expect(filters).toEqual({
      ...EMPTY_FILTERS,
      actor: 'user:admin',
      action: 'session',
      from: '2025-01-02T03:04:00.000Z',
    });
    expect(isFiltered(filters)).toBe(true);
    expect(isFiltered(EMPTY_FILTERS)).toBe(false);
  });

  it('sends only the filters that are set, to the list and to the CSV export alike', () => {
    const filters = { ...EMPTY_FILTERS, action: 'session.', outcome: 'failure' as const };
    expect(auditSearchParams(filters).toString()).toBe('action=session.&outcome=failure');
    expect(auditCsvUrl(filters)).toBe('/api/v1/audit/csv?action=session.&outcome=failure');
    expect(auditCsvUrl(EMPTY_FILTERS)).toBe('/api/v1/audit/csv');
  });

  it('converts between datetime-local values and ISO instants in the local time zone', () => {
    const iso = fromLocalInput('2025-03-04T05:06');
    expect(iso).toBe(new Date(2025, 2, 4, 5, 6).toISOString());
    expect(toLocalInput(iso)).toBe('2025-03-04T05:06');
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput('')).toBe('');
    expect(toLocalInput('not a date')).toBe('');
  });
});
