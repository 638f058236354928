import { compareApkVersions, isValidApkVersion } from './apk-version.js';
import { compareDpkgVersions, isValidDpkgVersion } from './dpkg-version.js';
import { compareGoVersions, isValidGoVersion } from './go-version.js';
import { comparePep440Versions, isValidPep440Version } from './pep440-version.js';
import { compareRpmVersions, isValidRpmVersion } from './rpm-version.js';
import { compareSemverVersions, isValidSemverVersion } from './semver-version.js';

/** The OSV ecosystems whose version order Berth knows. */
export type OsvEcosystemName =
  | 'Debian'
  | 'Ubuntu'
  | 'Alpine'
  | 'AlmaLinux'
  | 'Rocky Linux'
  | 'Red Hat'
  | 'Mageia'
  | 'npm'
  | 'PyPI'
  | 'Go';

/** The package database an operating system's packages are installed from. */
export type PackageFormat = 'deb' | 'apk' | 'rpm';

/** A total order over one grammar of versions; `compare` throws InvalidVersionError. */
export interface VersionOrder {
  isValid(version: string): boolean;
  compare(a: string, b: string): number;
}

const dpkg: VersionOrder = { isValid: isValidDpkgVersion, compare: compareDpkgVersions };
const rpm: VersionOrder = { isValid: isValidRpmVersion, compare: compareRpmVersions };
export const semverOrder: VersionOrder = {
  isValid: isValidSemverVersion,
  compare: compareSemverVersions,
};
export const goOrder: VersionOrder = { isValid: isValidGoVersion, compare: compareGoVersions };

interface Ecosystem {
  order: VersionOrder;
  /**
   * Set for the operating systems: their ecosystem strings name a release (`Debian:12`), each
   * release its own package set, and their packages come from this kind of database.
   */
  distribution?: PackageFormat;
}

const ECOSYSTEMS: Readonly<Record<OsvEcosystemName, Ecosystem>> = {
  Debian: { order: dpkg, distribution: 'deb' },
  Ubuntu: { order: dpkg, distribution: 'deb' },
  Alpine: {
    order: { isValid: isValidApkVersion, compare: compareApkVersions },
    distribution: 'apk',
  },
  AlmaLinux: { order: rpm, distribution: 'rpm' },
  'Rocky Linux': { order: rpm, distribution: 'rpm' },
  'Red Hat': { order: rpm, distribution: 'rpm' },
  Mageia: { order: rpm, distribution: 'rpm' },
  npm: { order: semverOrder },
  PyPI: { order: { isValid: isValidPep440Version, compare: comparePep440Versions } },
  Go: { order: goOrder },
};

function isEcosystemName(name: string): name is OsvEcosystemName {
  return Object.hasOwn(ECOSYSTEMS, name);
}

/**
 * Red Hat's ecosystem strings are product CPEs (`Red Hat:enterprise_linux:9::baseos`,
 * `Red Hat:openshift:4.14::el9`, 900-odd of them). Berth scans operating system images, so only
 * RHEL's own are of use; the others (OpenShift, JBoss, EUS and other extended streams) name
 * packages no scan looks up.
 */
const RED_HAT_ENTERPRISE_LINUX = /^Red Hat:enterprise_linux:/;

/**
 * The ecosystem an OSV ecosystem string belongs to, without its release or repository suffix
 * ("Debian:12" -> "Debian", "Ubuntu:22.04:LTS" -> "Ubuntu"), or null when Berth cannot order
 * its versions or never looks packages up in it. Case matters: OSV ecosystem names are exact
 * strings.
 */
export function ecosystemBase(ecosystem: string): OsvEcosystemName | null {
  const base = ecosystem.split(':', 1)[0] ?? '';
  if (!isEcosystemName(base)) return null;
  if (base === 'Red Hat' && !RED_HAT_ENTERPRISE_LINUX.test(ecosystem)) return null;
  return base;
}

export function versionOrder(base: OsvEcosystemName): VersionOrder {
  return ECOSYSTEMS[base].order;
}

/** The package format of an operating system's ecosystem; null for the language ecosystems. */
export function distributionFormat(base: OsvEcosystemName): PackageFormat | null {
  return ECOSYSTEMS[base].distribution ?? null;
}

/**
 * Negative, zero or positive as `a` sorts before, with or after `b` in the ecosystem's order.
 * Throws InvalidVersionError when either is not a version of that ecosystem; callers that must
 * not fail (matching during a scan) check `isValidVersion` first and skip what they cannot decide.
 */
export function compareVersions(base: OsvEcosystemName, a: string, b: string): number {
  return ECOSYSTEMS[base].order.compare(a, b);
}

export function isValidVersion(base: OsvEcosystemName, version: string): boolean {
  return ECOSYSTEMS[base].order.isValid(version);
}
