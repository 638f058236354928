import { describe, expect, it } from 'vitest';
import { formatDateTime, formatTimeLeft, formatTimestamp, plural, pluralize } from './format';

describe('one rule for singular and plural', () => {
  it('counts nouns', () => {
    expect(pluralize(1, 'image')).toBe('1 image');
    expect(pluralize(0, 'image')).toBe('0 images');
    expect(pluralize(2, 'repository', 'repositories')).toBe('2 repositories');
    expect(pluralize(1200, 'tag')).toBe((1200).toLocaleString() + ' tags');
  });

  it('chooses the words that agree with a count, nouns or not', () => {
    expect(plural(1, 'It stays', 'They stay')).toBe('It stays');
    expect(plural(3, 'It stays', 'They stay')).toBe('They stay');
    expect(plural(1, 'tag')).toBe('tag');
    expect(plural(2, 'tag')).toBe('tags');
  });

  it('is the rule the countdowns use', () => {
    const now = Date.parse('2026-12-03T00:00:00Z');
    expect(formatTimeLeft('2026-12-04T01:00:00Z', now)).toBe('1 day 1 hour left');
    expect(formatTimeLeft('2026-12-05T02:00:00Z', now)).toBe('2 days 2 hours left');
  });
});

describe('times with a clock name their zone', () => {
  const at = '2026-12-03T14:05:09Z';
  // The reader's zone as Intl names it here ("UTC", "CET", "GMT+1"): whatever zone runs the test.
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
    .formatToParts(new Date(at))
    .find((part) => part.type === 'timeZoneName')?.value;

  it('formatDateTime ends with the zone', () => {
    expect(zone).toBeTruthy();
    expect(formatDateTime(at).endsWith(` ${zone}`)).toBe(true);
  });

  it('formatTimestamp keeps the seconds and ends with the zone', () => {
    expect(formatTimestamp(at)).toMatch(/05:09/);
    expect(formatTimestamp(at).endsWith(` ${zone}`)).toBe(true);
  });
});
