import { describe, expect, it } from 'vitest';
import { daysLeft, isExpired, planTagRestore, trashExpiry } from './trash.js';

const DAY = 86_400_000;
const D = 'sha256:' + 'd'.repeat(64);
const OTHER = 'sha256:' + 'e'.repeat(64);

describe('trash expiry', () => {
  it('expires exactly 30 days after deletion', () => {
    const expires = trashExpiry(0);
    expect(expires).toBe(30 * DAY);
    expect(isExpired(expires, expires - 1)).toBe(false);
    expect(isExpired(expires, expires)).toBe(true);
  });
  it('counts days left rounding up, never below zero', () => {
    expect(daysLeft(30 * DAY, 0)).toBe(30);
    expect(daysLeft(30 * DAY, 30 * DAY - 3_600_000)).toBe(1);
    expect(daysLeft(30 * DAY, 31 * DAY)).toBe(0);
  });
});

describe('restore tag plan', () => {
  it('restores free tags and reports the ones another image holds', () => {
    const plan = planTagRestore(
      ['latest', '1.0', 'mine'],
      new Map([
        ['latest', OTHER],
        ['mine', D],
      ]),
      D,
    );
    expect(plan.restore).toEqual(['1.0', 'mine']);
    expect(plan.skipped).toEqual([
      { tag: 'latest', heldBy: OTHER, reason: expect.stringContaining('now points to') },
    ]);
  });
  it('handles no tags and duplicates', () => {
    expect(planTagRestore([], new Map(), D)).toEqual({ restore: [], skipped: [] });
    expect(planTagRestore(['a', 'a'], new Map(), D).restore).toEqual(['a']);
  });
});
