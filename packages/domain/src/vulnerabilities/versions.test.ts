import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from './invalid-version-error.js';
import { compareVersions, ecosystemBase, isValidVersion } from './versions.js';

describe('ecosystemBase', () => {
  it('strips the release suffix of OSV ecosystem strings', () => {
    expect(ecosystemBase('Debian:12')).toBe('Debian');
    expect(ecosystemBase('Debian')).toBe('Debian');
    expect(ecosystemBase('Alpine:v3.19')).toBe('Alpine');
    expect(ecosystemBase('Ubuntu:22.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('npm')).toBe('npm');
    expect(ecosystemBase('PyPI')).toBe('PyPI');
    expect(ecosystemBase('Go')).toBe('Go');
  });

  it('returns null for ecosystems it cannot order, and is case-sensitive', () => {
    for (const e of [
      'crates.io',
      'Maven',
      'debian:12',
      'pypi',
      'NPM',
      '',
      ':12',
      'constructor',
      'toString',
    ]) {
      expect(ecosystemBase(e), e).toBeNull();
    }
  });
});

describe('compareVersions', () => {
  it('uses the order of the ecosystem', () => {
    expect(compareVersions('Debian', '1:1.0', '2.0')).toBeGreaterThan(0);
    expect(compareVersions('Ubuntu', '1.0~rc1', '1.0')).toBeLessThan(0);
    expect(compareVersions('Alpine', '1.2.3_rc1', '1.2.3')).toBeLessThan(0);
    expect(compareVersions('PyPI', '1.0.0', '1.0')).toBe(0);
    expect(compareVersions('npm', '1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('Go', 'v1.2.3', '1.2.3')).toBe(0);
  });

  it('gives different answers where the ecosystems disagree', () => {
    // dpkg sorts a trailing letter after the end of the string; PEP 440 reads "a1" as alpha 1.
    expect(compareVersions('Debian', '1.0a1', '1.0')).toBeGreaterThan(0);
    expect(compareVersions('PyPI', '1.0a1', '1.0')).toBeLessThan(0);
  });

  it('throws InvalidVersionError rather than guessing', () => {
    expect(() => compareVersions('npm', '1.0', '1.0.0')).toThrow(InvalidVersionError);
    expect(() => compareVersions('Alpine', '1.0-1', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('isValidVersion', () => {
  it('checks the grammar of the ecosystem', () => {
    expect(isValidVersion('Debian', '1.0-1')).toBe(true);
    expect(isValidVersion('Alpine', '1.0-1')).toBe(false);
    expect(isValidVersion('PyPI', '1.0.post1')).toBe(true);
    expect(isValidVersion('npm', '1.0.post1')).toBe(false);
  });
});
