import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from './invalid-version-error.js';
import { compareSemverVersions, isValidSemverVersion } from './semver-version.js';

/** Every version sorts strictly before the next, in both directions of the comparison. */
function expectAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    expect(compareSemverVersions(low, high), `${low} < ${high}`).toBeLessThan(0);
    expect(compareSemverVersions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
  }
}

describe('compareSemverVersions', () => {
  it('orders prereleases by SemVer 2.0 precedence', () => {
    expectAscending([
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ]);
  });

  it('compares numbers numerically', () => {
    expectAscending(['1.9.0', '1.10.0', '1.10.1', '2.0.0']);
  });

  it('ignores build metadata and tolerates a leading v', () => {
    expect(compareSemverVersions('1.0.0+build.1', '1.0.0+build.2')).toBe(0);
    expect(compareSemverVersions('v1.2.3', '1.2.3')).toBe(0);
  });

  it('throws a typed error for versions that are not strict SemVer', () => {
    expect(() => compareSemverVersions('1.2', '1.2.0')).toThrow(InvalidVersionError);
    expect(() => compareSemverVersions('1.2.3', '^1.2.3')).toThrow(InvalidVersionError);
    expect(isValidSemverVersion('1.0.0-01')).toBe(false);
    expect(isValidSemverVersion('01.0.0')).toBe(false);
  });
});
