import { describe, expect, it } from 'vitest';
import { compareGoVersions, isValidGoVersion } from './go-version.js';
import { InvalidVersionError } from './invalid-version-error.js';

/** Every version sorts strictly before the next, in both directions of the comparison. */
function expectAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    expect(compareGoVersions(low, high), `${low} < ${high}`).toBeLessThan(0);
    expect(compareGoVersions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
  }
}

describe('compareGoVersions', () => {
  it('accepts module versions with or without the v', () => {
    expect(compareGoVersions('v1.2.3', '1.2.3')).toBe(0);
    expectAscending(['v1.2.3', '1.2.4', 'v1.10.0']);
  });

  it('orders pseudo-versions as prereleases', () => {
    expectAscending([
      'v0.0.0-20210101000000-abcdef123456',
      'v0.0.0-20220101000000-000000000000',
      'v0.1.0',
      'v1.2.4-0.20230101000000-abcdef123456',
      'v1.2.4',
    ]);
  });

  it('ignores +incompatible', () => {
    expect(compareGoVersions('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
    expectAscending(['v1.9.0', 'v2.0.0+incompatible', 'v2.1.0+incompatible']);
  });

  it('expands the v1 and v1.2 shorthands', () => {
    expect(compareGoVersions('v1', 'v1.0.0')).toBe(0);
    expect(compareGoVersions('v1.2', '1.2.0')).toBe(0);
  });

  it('maps toolchain tags the way the Go vulnerability database does', () => {
    expect(compareGoVersions('go1.21.3', '1.21.3')).toBe(0);
    expect(compareGoVersions('go1.20', '1.20.0')).toBe(0);
    expect(compareGoVersions('go1', '1.0.0')).toBe(0);
    expectAscending([
      'go1.20.14',
      'go1.21beta1',
      'go1.21rc2',
      'go1.21rc10',
      'go1.21.0',
      'go1.21.3',
    ]);
    expectAscending(['1.21.0-0', 'go1.21rc1']);
  });

  it('throws a typed error for what is not a Go version', () => {
    expect(() => compareGoVersions('(devel)', 'v1.0.0')).toThrow(InvalidVersionError);
    for (const v of ['', 'v1.2.3.4', 'v01.2.3', 'go1.21.x', 'latest', 'v1.2-pre']) {
      expect(isValidGoVersion(v), v).toBe(false);
    }
  });
});
