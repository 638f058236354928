import { compare, valid } from '@renovatebot/pep440';
import { InvalidVersionError } from './invalid-version-error.js';

/** PyPI version order (PEP 440): epochs, pre/post/dev releases, local versions, zero padding. */
export function isValidPep440Version(version: string): boolean {
  return valid(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function comparePep440Versions(a: string, b: string): number {
  // The library dereferences its parse result without checking it, so it must never see an invalid version.
  if (!isValidPep440Version(a)) throw new InvalidVersionError('pep440', a);
  if (!isValidPep440Version(b)) throw new InvalidVersionError('pep440', b);
  return Math.sign(compare(a, b));
}
