import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from './invalid-version-error.js';
import { comparePep440Versions, isValidPep440Version } from './pep440-version.js';

/** Every version sorts strictly before the next, in both directions of the comparison. */
function expectAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    expect(comparePep440Versions(low, high), `${low} < ${high}`).toBeLessThan(0);
    expect(comparePep440Versions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
  }
}

describe('comparePep440Versions', () => {
  it('compares the epoch first', () => {
    expectAscending(['2.0', '1!1.0', '2!0.1']);
  });

  it('orders dev, pre, final and post releases', () => {
    expectAscending(['1.0.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.1.dev0']);
    expectAscending(['1.0a1.dev1', '1.0a1', '1.0a1.post1', '1.0a2']);
  });

  it('sorts a local version after its public version', () => {
    expectAscending(['1.0', '1.0+abc', '1.0+abc.5', '1.0.post1']);
  });

  it('normalises spellings and trailing zeros', () => {
    expect(comparePep440Versions('1.0.0', '1.0')).toBe(0);
    expect(comparePep440Versions('1.0-alpha-1', '1.0a1')).toBe(0);
    expect(comparePep440Versions('v1.0RC1', '1.0rc1')).toBe(0);
    expect(comparePep440Versions('1.0-1', '1.0.post1')).toBe(0);
  });

  it('compares release segments numerically', () => {
    expectAscending(['2.9', '2.10', '2.31.0', '10.0']);
  });

  it('throws a typed error instead of crashing on an invalid version', () => {
    expect(() => comparePep440Versions('1.0', 'latest')).toThrow(InvalidVersionError);
    expect(() => comparePep440Versions('', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('isValidPep440Version', () => {
  it('accepts PEP 440 versions and rejects others', () => {
    expect(isValidPep440Version('1!2.0.post1.dev3+local.7')).toBe(true);
    expect(isValidPep440Version('1.0.x')).toBe(false);
    expect(isValidPep440Version('one')).toBe(false);
  });
});
