import {
  type OsvAffected,
  type OsvRecord,
  matchPackage,
  normalizePackageName,
} from '@berth/domain';
import type { ScanCounts, ScanFindingRow, Store } from '@berth/store';
import type { Distro, InventoryPackage } from './inventory/types.js';

/** What a package is looked up as in OSV data: its ecosystem, name and version there. */
export interface OsvQuery {
  ecosystem: string;
  name: string;
  version: string;
}

/**
 * How OSV names a package of an image. Debian and Alpine advisories are about source packages
 * (Debian's `Source:`, Alpine's origin), in the release the image is built on (`Debian:12`,
 * `Alpine:v3.19`). RPM has no OSV ecosystem Berth imports yet; Ubuntu's OSV releases are named
 * differently (`Ubuntu:22.04:LTS`) and are matched once imports of them are tested.
 */
export function osvQueryOf(pkg: InventoryPackage, distro: Distro | null): OsvQuery | null {
  switch (pkg.type) {
    case 'deb': {
      if (distro?.id !== 'debian') return null;
      const major = /^\d+/.exec(distro.versionId)?.[0];
      if (!major) return null;
      return {
        ecosystem: `Debian:${major}`,
        name: pkg.source?.name ?? pkg.name,
        version: pkg.source?.version ?? pkg.version,
      };
    }
    case 'apk': {
      if (distro?.id !== 'alpine') return null;
      const release = /^(\d+)\.(\d+)/.exec(distro.versionId);
      if (!release) return null;
      return {
        ecosystem: `Alpine:v${release[1]}.${release[2]}`,
        name: pkg.source?.name ?? pkg.name,
        version: pkg.version,
      };
    }
    case 'npm':
      return { ecosystem: 'npm', name: pkg.name, version: pkg.version };
    case 'pypi':
      return {
        ecosystem: 'PyPI',
        name: normalizePackageName('PyPI', pkg.name),
        version: pkg.version,
      };
    case 'golang':
      return { ecosystem: 'Go', name: pkg.name, version: pkg.version };
    default:
      return null;
  }
}

export interface Matched extends ScanCounts {
  findings: ScanFindingRow[];
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/**
 * Advisories already read, by (ecosystem, name), for one sweep: re-matching 10,000 images read
 * the same few thousand packages' advisories a million times (half the sweep's time).
 */
export type AdvisoryCache = Map<string, OsvRecord[]>;

const cacheKey = (ecosystem: string, name: string) => `${ecosystem}\n${name}`;

/**
 * The advisories that affect the inventory's packages: each package is looked up by its OSV
 * (ecosystem, name), and the advisory's ranges in that ecosystem's version order decide. Reads
 * only the stored inventory and the advisories, so new advisory data re-matches every stored
 * inventory without reading a layer again.
 */
export async function matchInventory(
  store: Pick<Store, 'advisories'>,
  packages: readonly InventoryPackage[],
  distro: Distro | null,
  cache: AdvisoryCache = new Map(),
): Promise<Matched> {
  const queries = packages.map((p) => osvQueryOf(p, distro));
  const missing = new Map<string, Set<string>>();
  for (const q of queries) {
    if (!q || cache.has(cacheKey(q.ecosystem, q.name))) continue;
    const names = missing.get(q.ecosystem) ?? new Set<string>();
    names.add(q.name);
    missing.set(q.ecosystem, names);
  }
  for (const [ecosystem, names] of missing) {
    const found = new Map<string, OsvRecord[]>([...names].map((n) => [n, []]));
    for (const advisory of await store.advisories.forPackages(ecosystem, [...names])) {
      found.get(advisory.packages[0]?.name ?? '')?.push({
        id: advisory.id,
        modified: new Date(advisory.modified).toISOString(),
        summary: advisory.summary,
        affected: advisory.affected as OsvAffected[],
        // Carried for the finding: the stored severity was worked out at import.
        database_specific: { severity: advisory.severity, score: advisory.score },
      });
    }
    for (const [name, records] of found) cache.set(cacheKey(ecosystem, name), records);
  }
  const findings: ScanFindingRow[] = [];
  queries.forEach((q, index) => {
    if (!q) return;
    const seen = new Set<string>();
    for (const record of cache.get(cacheKey(q.ecosystem, q.name)) ?? []) {
      if (seen.has(record.id)) continue;
      const match = matchPackage(record, q);
      if (!match) continue;
      seen.add(record.id);
      const stored = record.database_specific as { severity: string; score: number | null };
      findings.push({
        package: index,
        advisoryId: record.id,
        severity: stored.severity,
        score: stored.score,
        fixed: match.fixed,
        summary: record.summary ?? '',
      });
    }
  });
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, count(s)])) as Record<
    (typeof SEVERITIES)[number],
    number
  >;
  return {
    findings,
    ...counts,
    unknown: findings.length - SEVERITIES.reduce((n, s) => n + counts[s], 0),
    fixable: findings.filter((f) => f.fixed !== null).length,
  };
}
