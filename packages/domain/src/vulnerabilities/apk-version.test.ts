import { describe, expect, it } from 'vitest';
import { compareApkVersions, isValidApkVersion } from './apk-version.js';
import { InvalidVersionError } from './invalid-version-error.js';

/** Every version sorts strictly before the next, in both directions of the comparison. */
function expectAscending(versions: string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    expect(compareApkVersions(low, high), `${low} < ${high}`).toBeLessThan(0);
    expect(compareApkVersions(high, low), `${high} > ${low}`).toBeGreaterThan(0);
  }
}

describe('compareApkVersions', () => {
  it('puts pre-release suffixes below the release and post-release ones above', () => {
    expectAscending(['1.2.3_rc1', '1.2.3', '1.2.3_p1']);
    expectAscending(['1.0_alpha', '1.0_beta', '1.0_pre', '1.0_rc', '1.0']);
    expectAscending(['1.0', '1.0_cvs', '1.0_svn', '1.0_git', '1.0_hg', '1.0_p']);
    expectAscending(['1.0_rc', '1.0_rc1', '1.0_rc2', '1.0_rc10']);
    expectAscending(['1.0_alpha20240101', '1.0_beta1']);
  });

  it('orders revisions', () => {
    expectAscending(['1.2.3-r0', '1.2.3-r1', '1.2.3-r10', '1.2.4-r0']);
    expectAscending(['2.4.57-r3', '2.4.58-r0', '2.4.58-r1', '2.4.59-r0']);
    expectAscending(['3.1.4-r5', '3.1.4-r6', '3.1.5-r0', '3.3.0-r0']);
    expect(compareApkVersions('1.2.3', '1.2.3-r0')).toBeLessThan(0);
  });

  it('compares components numerically and letters after the number', () => {
    expectAscending(['1.9', '1.10', '1.10.1', '2']);
    expectAscending(['1.2', '1.2a', '1.2b', '1.3']);
    expectAscending(['1.2.3', '1.2.3.1']);
    expectAscending(['1.0.2u', '1.1.1a']);
  });

  it('compares a component with a leading zero as a string, as Gentoo does', () => {
    expectAscending(['1.001', '1.01', '1.010', '1.1']);
    expect(compareApkVersions('01.2', '1.2')).toBe(0);
  });

  it('sorts a commit hash after every revision of the bare version, as apk does', () => {
    expectAscending(['1.2.3', '1.2.3-r0', '1.2.3-r9', '1.2.3~0abc', '1.2.3~1', '1.2.3~1-r0']);
  });

  it('treats identical versions as equal', () => {
    expect(compareApkVersions('2.4.58-r0', '2.4.58-r0')).toBe(0);
    expect(compareApkVersions('1.0_rc1-r2', '1.0_rc1-r2')).toBe(0);
  });

  it('throws a typed error for invalid versions', () => {
    expect(() => compareApkVersions('1.0', '1.0-1')).toThrow(InvalidVersionError);
    expect(() => compareApkVersions('v1.0', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('isValidApkVersion', () => {
  it('accepts the apk grammar', () => {
    for (const v of [
      '0',
      '1.2.3',
      '1.2a',
      '1.2.3_rc1',
      '1.2.3_p1-r2',
      '1_alpha_p2',
      '1.2~abc1-r0',
    ]) {
      expect(isValidApkVersion(v), v).toBe(true);
    }
  });

  it('rejects what apk rejects', () => {
    for (const v of [
      '',
      'a1',
      '.1',
      '1.',
      '1..2',
      '1.2-3',
      '1.2-r',
      '1.2-r1-r2',
      '1.2_foo',
      '1.2_',
      '1.2a3',
      '1.2ab',
      '1.2a.3',
      '1.2~',
      '1.2~xyz',
      '1.2-r1_p1',
      '1.2A',
      '1.2 ',
    ]) {
      expect(isValidApkVersion(v), v).toBe(false);
    }
  });
});
