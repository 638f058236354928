import { describe, expect, it } from 'vitest';
import {
  checkDigest,
  digestAlgorithmOf,
  isDigestAlgorithm,
  checkNamespaceName,
  checkRepositoryName,
  checkTag,
  splitFullName,
} from './names.js';

describe('namespace names', () => {
  it.each(['team', 'team-a', 'team_a', 'a1b2', 'x'.repeat(30), 'a--b'])('accepts %s', (n) => {
    expect(checkNamespaceName(n).ok).toBe(true);
  });
  it.each([
    'abc',
    'x'.repeat(31),
    'Team',
    'te.am',
    'team/a',
    '-team',
    'team-',
    '_team',
    'a___b',
    'tëam',
    '..',
  ])('refuses %s', (n) => {
    expect(checkNamespaceName(n).ok).toBe(false);
  });
});

describe('repository names (OCI grammar)', () => {
  it.each(['app', 'web/app', 'a/b/c', 'my.app', 'my_app', 'my__app', 'my--app', 'a1/b2'])(
    'accepts %s',
    (n) => {
      expect(checkRepositoryName('team', n).ok).toBe(true);
    },
  );
  it.each([
    '',
    'App',
    'web/',
    '/web',
    'web//app',
    '..',
    'web/../x',
    './x',
    'a/.b',
    'a___b',
    'a b',
    'a%2Fb',
  ])('refuses %j', (n) => {
    expect(checkRepositoryName('team', n).ok).toBe(false);
  });
  it('bounds the full name at 255 characters', () => {
    expect(checkRepositoryName('team', 'a'.repeat(250)).ok).toBe(true);
    expect(checkRepositoryName('team', 'a'.repeat(251)).ok).toBe(false);
  });
});

describe('tags and digests', () => {
  it('follows the tag grammar', () => {
    expect(checkTag('latest').ok).toBe(true);
    expect(checkTag('v1.2.3-rc_1').ok).toBe(true);
    expect(checkTag('_x').ok).toBe(true);
    expect(checkTag('.x').ok).toBe(false);
    expect(checkTag('-x').ok).toBe(false);
    expect(checkTag('a'.repeat(128)).ok).toBe(true);
    expect(checkTag('a'.repeat(129)).ok).toBe(false);
    expect(checkTag('a/b').ok).toBe(false);
  });
  it('accepts only well-formed sha256 and sha512 digests', () => {
    expect(checkDigest(`sha256:${'a'.repeat(64)}`).ok).toBe(true);
    expect(checkDigest(`sha512:${'a'.repeat(128)}`).ok).toBe(true);
    expect(checkDigest(`sha256:${'A'.repeat(64)}`).ok).toBe(false);
    expect(checkDigest(`sha256:${'a'.repeat(63)}`).ok).toBe(false);
    expect(checkDigest('sha256:../../etc/passwd').ok).toBe(false);
    expect(checkDigest(`sha512:${'a'.repeat(64)}`).ok).toBe(false);
    expect(checkDigest(`md5:${'a'.repeat(32)}`)).toEqual({
      ok: false,
      reason: 'uses the algorithm "md5", which Berth does not support; use sha256 or sha512',
    });
    expect(digestAlgorithmOf(`sha512:${'a'.repeat(128)}`)).toBe('sha512');
    expect(digestAlgorithmOf(`sha256:${'a'.repeat(64)}`)).toBe('sha256');
    expect(isDigestAlgorithm('sha512')).toBe(true);
    expect(isDigestAlgorithm('md5')).toBe(false);
  });
  it('splits a full name at the first slash', () => {
    expect(splitFullName('team/web/app')).toEqual({ namespace: 'team', repository: 'web/app' });
    expect(splitFullName('nonamespace')).toBeNull();
  });
});
