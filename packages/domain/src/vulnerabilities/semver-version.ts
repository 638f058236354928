import semver from 'semver';
import { InvalidVersionError } from './invalid-version-error.js';

/**
 * npm and OSV SEMVER order: SemVer 2.0 precedence, build metadata ignored. Strict parsing,
 * except that a leading "v" is tolerated (semver's own parser does).
 */
export function isValidSemverVersion(version: string): boolean {
  return semver.valid(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function compareSemverVersions(a: string, b: string): number {
  if (!isValidSemverVersion(a)) throw new InvalidVersionError('semver', a);
  if (!isValidSemverVersion(b)) throw new InvalidVersionError('semver', b);
  return semver.compare(a, b);
}
