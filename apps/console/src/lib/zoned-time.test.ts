import { describe, expect, it } from 'vitest';
import { formatDailyUtc, formatUtcWithLocal } from './zoned-time';

const berlin = { timeZone: 'Europe/Berlin', locale: 'en-GB' };

describe('UTC times shown with the reader’s own', () => {
  it('names both zones for a daily time', () => {
    expect(formatDailyUtc('03:00', { ...berlin, now: new Date('2026-12-03T12:00:00Z') })).toBe(
      '03:00 UTC (04:00 CET, your time)',
    );
  });

  it('follows summer time in the reader’s zone, not in the schedule', () => {
    expect(formatDailyUtc('03:00', { ...berlin, now: new Date('2026-07-01T12:00:00Z') })).toBe(
      '03:00 UTC (05:00 CEST, your time)',
    );
  });

  it('says when the reader is on UTC instead of repeating the time', () => {
    expect(formatDailyUtc('23:30', { timeZone: 'UTC', locale: 'en-GB' })).toBe(
      '23:30 UTC (also your time)',
    );
  });

  it('gives no text for a time that is not HH:MM', () => {
    expect(formatDailyUtc('3:00', berlin)).toBeNull();
    expect(formatDailyUtc('24:00', berlin)).toBeNull();
  });

  it('shows an instant in UTC and locally, with the local date when it differs', () => {
    expect(formatUtcWithLocal('2026-12-04T03:00:00Z', berlin)).toBe(
      '4 Dec 2026, 03:00 UTC (04:00 CET, your time)',
    );
    expect(
      formatUtcWithLocal('2026-12-04T20:30:00Z', { timeZone: 'Asia/Tokyo', locale: 'en-GB' }),
    ).toBe('4 Dec 2026, 20:30 UTC (5 Dec 2026, 05:30 GMT+9, your time)');
    expect(formatUtcWithLocal('not a date', berlin)).toBe('—');
  });
});
