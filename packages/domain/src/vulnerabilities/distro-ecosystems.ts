/** An image's operating system as its os-release names it (`ID`, `VERSION_ID`). */
export interface DistroRelease {
  id: string;
  versionId: string;
}

// Ubuntu Pro (ESM) rebuilds carry this in their version: 1.1.1f-1ubuntu2.22+esm1.
const UBUNTU_PRO_BUILD = /\+esm\d*/;
// RHEL 8 and 9 advisories name a repository of the major release; RHEL 10's name the minor.
const RHEL_REPOSITORIES = ['baseos', 'appstream', 'crb'] as const;

function ubuntu(versionId: string, installedVersion: string): string[] {
  const release = /^(\d{2})\.(\d{2})$/.exec(versionId);
  if (!release) return [];
  const [, year = '', month = ''] = release;
  // Every LTS since 8.04 is the April release of an even year; os-release's VERSION_ID carries
  // no "LTS", and inventories already stored have only ID and VERSION_ID to go on.
  const lts = month === '04' && Number(year) % 2 === 0;
  if (!lts) return [`Ubuntu:${versionId}`];
  const standard = `Ubuntu:${versionId}:LTS`;
  // Fixes that only Ubuntu Pro ships (universe packages, releases past standard support) are
  // still fixes the image lacks, so Pro's ecosystem is looked in too; a Pro build is judged by
  // Pro's entries first.
  const pro = `Ubuntu:Pro:${versionId}:LTS`;
  return UBUNTU_PRO_BUILD.test(installedVersion) ? [pro, standard] : [standard, pro];
}

function redHat(versionId: string): string[] {
  const release = /^(\d+)(?:\.(\d+))?/.exec(versionId);
  if (!release) return [];
  const major = Number(release[1]);
  if (major >= 10) {
    // A stream's fixes carry on into the next minor release, so every minor up to the image's
    // own still speaks of its packages; the image's own comes first.
    const minor = Number(release[2] ?? 0);
    return Array.from(
      { length: minor + 1 },
      (_, i) => `Red Hat:enterprise_linux:${major}.${minor - i}`,
    );
  }
  // RHEL 7 and older are past their standard support: their packages are listed, not matched.
  if (major < 8) return [];
  return RHEL_REPOSITORIES.map((repository) => `Red Hat:enterprise_linux:${major}::${repository}`);
}

/**
 * The OSV ecosystems an operating system package of this release is looked up in, most specific
 * first (see matchFirstNamed); none when OSV publishes nothing Berth matches for it (Fedora,
 * CentOS Stream, Oracle Linux and Amazon Linux have no OSV ecosystem; SUSE's packages are listed
 * but not matched: its advisories name a product module per package, which images do not record). `installedVersion` tells an Ubuntu Pro build from a standard one.
 */
export function distroEcosystems(distro: DistroRelease, installedVersion = ''): string[] {
  const major = /^\d+/.exec(distro.versionId)?.[0];
  switch (distro.id) {
    case 'debian':
      return major ? [`Debian:${major}`] : [];
    case 'ubuntu':
      return ubuntu(distro.versionId, installedVersion);
    case 'alpine': {
      const release = /^(\d+)\.(\d+)/.exec(distro.versionId);
      return release ? [`Alpine:v${release[1]}.${release[2]}`] : [];
    }
    case 'almalinux':
      return major ? [`AlmaLinux:${major}`] : [];
    case 'rocky':
      return major ? [`Rocky Linux:${major}`] : [];
    case 'rhel':
      return redHat(distro.versionId);
    case 'mageia':
      return major ? [`Mageia:${major}`] : [];
    default:
      return [];
  }
}
