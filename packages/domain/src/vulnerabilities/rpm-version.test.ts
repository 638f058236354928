import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from './invalid-version-error.js';
import { compareRpmVersions, isValidRpmVersion, rpmvercmp } from './rpm-version.js';

/*
 * The cases of rpm's own test suite (tests/rpmvercmp.at), each as [a, b, expected]: rpm checks
 * every pair in the direction written, and so do we, plus the reverse with the sign flipped.
 */
const RPM_TEST_SUITE: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p10', 0],
  ['5.5p1', '5.5p10', -1],
  ['10xyz', '10.1xyz', -1],
  ['xyz10', 'xyz10', 0],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['xyz.4', '2', -1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '6.5p1', -1],
  ['6.0.rc1', '6.0', 1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0],
  ['1.0a', '1.0aa', -1],
  ['10.0001', '10.0001', 0],
  ['10.0001', '10.1', 0],
  ['10.0001', '10.0039', -1],
  ['4.999.9', '5.0', -1],
  ['20101121', '20101121', 0],
  ['20101121', '20101122', -1],
  ['2_0', '2_0', 0],
  ['2.0', '2_0', 0],
  // RhBug:178798: separators alone compare equal, whichever they are.
  ['a', 'a', 0],
  ['a+', 'a+', 0],
  ['a+', 'a_', 0],
  ['+a', '+a', 0],
  ['+a', '_a', 0],
  ['+_', '+_', 0],
  ['_+', '+_', 0],
  ['_+', '_', 0],
  ['+', '_', 0],
  // Tilde: before everything, the end of the string included.
  ['1.0~rc1', '1.0~rc1', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  // Caret: after the end of the string, before any further segment.
  ['1.0^', '1.0^', 0],
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0^git1', 0],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git1', '1.01', -1],
  ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^git1~pre', '1.0^git1~pre', 0],
  ['1.0^git1', '1.0^git1~pre', 1],
  // Documented there as "arguably buggy" (RhBug:811992), kept so that Berth agrees with rpm.
  ['1b.fc17', '1b.fc17', 0],
  ['1b.fc17', '1.fc17', -1],
  ['1g.fc17', '1g.fc17', 0],
  ['1g.fc17', '1.fc17', 1],
  // Non-ASCII characters are separators, so these are all equal.
  ['1.1.α', '1.1.α', 0],
  ['1.1.α', '1.1.β', 0],
  ['1.1.αα', '1.1.α', 0],
  ['1.1.ββ', '1.1.αα', 0],
];

describe('rpmvercmp', () => {
  it.each(RPM_TEST_SUITE)('%s vs %s is %i, and the reverse its opposite', (a, b, expected) => {
    expect(Math.sign(rpmvercmp(a, b))).toBe(expected);
    expect(Math.sign(rpmvercmp(b, a))).toBe(-expected || 0);
  });

  it('reads a letter glued to a number the same as one after a dot', () => {
    expect(rpmvercmp('1.0a', '1.0.a')).toBe(0);
    // …but a digit run is newer than a letter run wherever the two meet.
    expect(rpmvercmp('1.0.1', '1.0.a')).toBe(1);
    expect(rpmvercmp('1.0a', '1.0.1')).toBe(-1);
  });

  it('compares digit runs beyond 2^53 exactly', () => {
    expect(rpmvercmp('1.99999999999999999998', '1.99999999999999999999')).toBe(-1);
    expect(rpmvercmp('1.000000000000000000001', '1.1')).toBe(0);
  });
});

describe('compareRpmVersions', () => {
  /** Every version sorts strictly before the next, in both directions. */
  function expectAscending(versions: string[]): void {
    for (let i = 0; i + 1 < versions.length; i++) {
      const [low, high] = [versions[i]!, versions[i + 1]!];
      expect(compareRpmVersions(low, high), `${low} < ${high}`).toBeLessThan(0);
      expect(compareRpmVersions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
    }
  }

  it('compares the epoch first, numerically; a missing epoch is 0', () => {
    expectAscending(['9.9-9', '1:1.0-1', '2:0.1-1', '10:0.1-1']);
    expect(compareRpmVersions('0:1.0-1.el9', '1.0-1.el9')).toBe(0);
    expect(compareRpmVersions(':1.0-1', '1.0-1')).toBe(0);
    expect(compareRpmVersions('01:1.0-1', '1:1.0-1')).toBe(0);
  });

  it('compares the version, then the release after the last hyphen', () => {
    expectAscending(['3.0.7-24.el9', '3.0.7-25.el9', '3.0.7-25.el9_2', '3.0.8-1.el9']);
    // Release numbering restarts with each version: the version decides first.
    expectAscending(['1.2-99', '1.10-1']);
    // An OSV event without a release is the version with an empty one: below every release.
    expectAscending(['3.0.7', '3.0.7-1.el9']);
  });

  it('orders the versions RHEL, Rocky and AlmaLinux really ship', () => {
    expectAscending([
      '1:3.0.1-43.el9_0',
      '1:3.0.7-24.el9',
      '1:3.0.7-25.el9_3',
      '1:3.0.7-27.el9',
      '1:3.0.7-27.el9.0.1',
      '1:3.2.2-6.el9_5',
    ]);
    expectAscending([
      '5.14.0-362.8.1.el9_3',
      '5.14.0-362.13.1.el9_3',
      '5.14.0-427.13.1.el9_4',
      '5.14.0-427.13.1.el9_4.alma.1',
    ]);
    expectAscending([
      '1:20.15.1-1.module_el9.4.0+123+abcdef12',
      '1:20.16.0-1.module_el9.4.0+99+abcdef12',
    ]);
    expectAscending(['115.6.0-1.mga9', '115.7.0-1.mga9']);
  });

  it('accepts what rpm accepts and nothing else', () => {
    for (const valid of ['1', '1.0', '1:1.0-1', 'xyz.4', '1.0~rc1^git1-0.1', '2.1-1.el9_3+1']) {
      expect(isValidRpmVersion(valid), valid).toBe(true);
    }
    for (const invalid of ['', '-1', '1.0-', 'a:1.0', '1.0 -1', '1.0-1 ', '1:', '4294967296:1']) {
      expect(isValidRpmVersion(invalid), invalid).toBe(false);
    }
    expect(isValidRpmVersion('4294967295:1')).toBe(true);
  });

  it('throws InvalidVersionError rather than guessing', () => {
    expect(() => compareRpmVersions('1.0 beta', '1.0')).toThrow(InvalidVersionError);
    expect(() => compareRpmVersions('1.0', '')).toThrow(InvalidVersionError);
  });
});
