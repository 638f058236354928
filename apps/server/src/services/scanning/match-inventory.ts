import {
  type OsvAffected,
  type OsvRecord,
  distributionFormat,
  distroEcosystems,
  ecosystemBase,
  matchFirstNamed,
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
 * The names OSV's distribution databases may give an operating system package. Debian, Ubuntu
 * and Alpine advisories name source packages (Debian's `Source:`, Alpine's origin). RPM
 * databases disagree: AlmaLinux, Rocky Linux and Red Hat list every binary RPM an erratum
 * ships, Mageia (and the OSV schema's text for Alma and Rocky) the source RPM; so an RPM is
 * looked up by its own name first, then by its source package's.
 */
function distroNames(pkg: InventoryPackage): { name: string; version: string }[] {
  switch (pkg.type) {
    case 'deb':
      return [{ name: pkg.source?.name ?? pkg.name, version: pkg.source?.version ?? pkg.version }];
    case 'apk':
      return [{ name: pkg.source?.name ?? pkg.name, version: pkg.version }];
    case 'rpm':
      return pkg.source && pkg.source.name !== pkg.name
        ? [{ name: pkg.name, version: pkg.version }, pkg.source]
        : [{ name: pkg.name, version: pkg.version }];
    default:
      return [];
  }
}

/**
 * How OSV may name a package of an image, most specific first (see matchFirstNamed): language
 * packages by their registry's name; operating system packages in the ecosystems of the release
 * the image is built on (distroEcosystems: `Debian:12`, `Ubuntu:22.04:LTS` then
 * `Ubuntu:Pro:22.04:LTS`, `Rocky Linux:9`, ...) of the package's own format, under each name
 * of distroNames.
 */
export function osvQueriesOf(pkg: InventoryPackage, distro: Distro | null): OsvQuery[] {
  switch (pkg.type) {
    case 'npm':
      return [{ ecosystem: 'npm', name: pkg.name, version: pkg.version }];
    case 'pypi':
      return [
        { ecosystem: 'PyPI', name: normalizePackageName('PyPI', pkg.name), version: pkg.version },
      ];
    case 'golang':
      return [{ ecosystem: 'Go', name: pkg.name, version: pkg.version }];
    default: {
      if (!distro) return [];
      // A deb found on an Alpine image (or the like) belongs to no release OSV knows.
      const ecosystems = distroEcosystems(distro, pkg.version).filter((ecosystem) => {
        const base = ecosystemBase(ecosystem);
        return base !== null && distributionFormat(base) === pkg.type;
      });
      return ecosystems.flatMap((ecosystem) =>
        distroNames(pkg).map((named) => ({ ecosystem, ...named })),
      );
    }
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
  const queries = packages.map((p) => osvQueriesOf(p, distro));
  const missing = new Map<string, Set<string>>();
  for (const q of queries.flat()) {
    if (cache.has(cacheKey(q.ecosystem, q.name))) continue;
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
  queries.forEach((alternatives, index) => {
    // An advisory found under several of the package's names is still one finding.
    const records = new Map<string, OsvRecord>();
    for (const q of alternatives) {
      for (const record of cache.get(cacheKey(q.ecosystem, q.name)) ?? []) {
        if (!records.has(record.id)) records.set(record.id, record);
      }
    }
    for (const record of records.values()) {
      const match = matchFirstNamed(record, alternatives);
      if (!match) continue;
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
