import { compareApkVersions, isValidApkVersion } from './apk-version.js';
import { compareDpkgVersions, isValidDpkgVersion } from './dpkg-version.js';
import { compareGoVersions, isValidGoVersion } from './go-version.js';
import { comparePep440Versions, isValidPep440Version } from './pep440-version.js';
import { compareSemverVersions, isValidSemverVersion } from './semver-version.js';

/** The OSV ecosystems whose version order Berth knows. */
export type OsvEcosystemName = 'Debian' | 'Ubuntu' | 'Alpine' | 'npm' | 'PyPI' | 'Go';

/** A total order over one grammar of versions; `compare` throws InvalidVersionError. */
export interface VersionOrder {
  isValid(version: string): boolean;
  compare(a: string, b: string): number;
}

const dpkg: VersionOrder = { isValid: isValidDpkgVersion, compare: compareDpkgVersions };
export const semverOrder: VersionOrder = {
  isValid: isValidSemverVersion,
  compare: compareSemverVersions,
};
export const goOrder: VersionOrder = { isValid: isValidGoVersion, compare: compareGoVersions };

const ORDERS: Readonly<Record<OsvEcosystemName, VersionOrder>> = {
  Debian: dpkg,
  Ubuntu: dpkg,
  Alpine: { isValid: isValidApkVersion, compare: compareApkVersions },
  npm: semverOrder,
  PyPI: { isValid: isValidPep440Version, compare: comparePep440Versions },
  Go: goOrder,
};

function isEcosystemName(name: string): name is OsvEcosystemName {
  return Object.hasOwn(ORDERS, name);
}

/**
 * The ecosystem an OSV ecosystem string belongs to, without its release or repository suffix
 * ("Debian:12" -> "Debian", "Ubuntu:22.04:LTS" -> "Ubuntu"), or null when Berth cannot order
 * its versions. Case matters: OSV ecosystem names are exact strings.
 */
export function ecosystemBase(ecosystem: string): OsvEcosystemName | null {
  const base = ecosystem.split(':', 1)[0] ?? '';
  return isEcosystemName(base) ? base : null;
}

export function versionOrder(base: OsvEcosystemName): VersionOrder {
  return ORDERS[base];
}

/**
 * Negative, zero or positive as `a` sorts before, with or after `b` in the ecosystem's order.
 * Throws InvalidVersionError when either is not a version of that ecosystem; callers that must
 * not fail (matching during a scan) check `isValidVersion` first and skip what they cannot decide.
 */
export function compareVersions(base: OsvEcosystemName, a: string, b: string): number {
  return ORDERS[base].compare(a, b);
}

export function isValidVersion(base: OsvEcosystemName, version: string): boolean {
  return ORDERS[base].isValid(version);
}
