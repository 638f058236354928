import { describe, expect, it } from 'vitest';
import { compareDpkgVersions, isValidDpkgVersion } from './dpkg-version.js';
import { InvalidVersionError } from './invalid-version-error.js';

/** Every version sorts strictly before the next, in both directions of the comparison. */
function expectAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    expect(compareDpkgVersions(low, high), `${low} < ${high}`).toBeLessThan(0);
    expect(compareDpkgVersions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
  }
}

describe('compareDpkgVersions', () => {
  it('compares the epoch first, numerically', () => {
    expectAscending(['2.0', '1:1.0', '2:0.1', '10:0.1']);
  });

  it('treats a missing epoch as 0 and a missing revision as empty', () => {
    expect(compareDpkgVersions('0:1.0', '1.0')).toBe(0);
    expect(compareDpkgVersions('1.0-0', '1.0')).toBe(0);
    expect(compareDpkgVersions('1.0', '1.0-0.1')).toBeLessThan(0);
  });

  it('sorts ~ before everything, even the end of the string', () => {
    expectAscending(['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0+dfsg']);
    expectAscending(['1.0~beta1', '1.0~rc1', '1.0']);
  });

  it('sorts letters before other symbols', () => {
    expectAscending(['1.0a', '1.0+', '1.0.']);
    expectAscending(['1.0Z', '1.0a']);
  });

  it('compares digit runs numerically and ignores leading zeros', () => {
    expectAscending(['1.9', '1.10', '1.100']);
    expect(compareDpkgVersions('1.01', '1.1')).toBe(0);
    expect(compareDpkgVersions('1.0000000000000000000001', '1.1')).toBe(0);
    expectAscending(['1.99999999999999999998', '1.99999999999999999999']);
  });

  it('splits the revision at the last hyphen', () => {
    expectAscending(['1.0-1', '1.0-1+deb12u1', '1.0-2', '1.0-10']);
    expectAscending(['1.2-3-4', '1.2-3-5', '1.2.1-1']);
  });

  it('orders real Debian security updates', () => {
    expectAscending(['2.36-9', '2.36-9+deb12u3', '2.36-9+deb12u4', '2.36-9+deb12u10', '2.37-1']);
    expectAscending(['3.0.11-1~deb12u1', '3.0.11-1~deb12u2', '3.0.11-1', '3.0.13-1~deb12u1']);
    expectAscending(['1:2.39.2-1.1', '1:2.39.5-0+deb12u1', '1:2.39.5-0+deb12u2']);
    expectAscending(['7.88.1-10+deb12u5', '7.88.1-10+deb12u8']);
  });

  it('orders Ubuntu versions', () => {
    expectAscending(['2.35-0ubuntu3', '2.35-0ubuntu3.1', '2.35-0ubuntu3.10']);
    expectAscending(['1.1.1f-1ubuntu2.19', '1.1.1f-1ubuntu2.20~esm1', '1.1.1f-1ubuntu2.20']);
  });

  it('throws a typed error for anything dpkg would reject', () => {
    expect(() => compareDpkgVersions('1.0', 'not a version')).toThrow(InvalidVersionError);
    expect(() => compareDpkgVersions('', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('isValidDpkgVersion', () => {
  it('accepts what dpkg accepts, surrounding blanks included', () => {
    for (const v of [
      '0',
      '1.0',
      '1:1.0-1',
      '2:1.0~rc1+dfsg-3ubuntu0.1',
      '1:1.0:1-2',
      ' 1.0 ',
      '1.0-a.b+c~d',
    ]) {
      expect(isValidDpkgVersion(v), v).toBe(true);
    }
  });

  it('rejects empty parts, bad epochs, bad characters and non-digit starts', () => {
    for (const v of [
      '',
      ':1.0',
      'a:1.0',
      '-1:1.0',
      '1:',
      '1.0-',
      '-1',
      'abc',
      '1.0 1',
      '1.0_1',
      '1.0-1_2',
      '1.0-1:2',
      '1.0:1',
      '99999999999:1.0',
    ]) {
      expect(isValidDpkgVersion(v), v).toBe(false);
    }
  });
});
