import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './osv-record.js';
import {
  distributionFormat,
  ecosystemBase,
  goOrder,
  semverOrder,
  versionOrder,
  type OsvEcosystemName,
  type VersionOrder,
} from './versions.js';

/**
 * Whether an installed package version is affected by an OSV record, following the schema's
 * "Evaluation" pseudocode. What Berth cannot decide is never a match and never an exception:
 * a range whose event versions do not parse in the range's order is skipped, an installed
 * version that does not parse matches nothing but an exact `versions` entry, and GIT ranges
 * are skipped because they need the repository's commit graph.
 */
export interface AffectedResult {
  affected: boolean;
  /** The lowest `fixed` version that leaves every range of the entry; null when none is known. */
  fixed: string | null;
}

export interface PackageQuery {
  /** An OSV ecosystem string, with the distribution release where there is one: "Debian:12". */
  ecosystem: string;
  name: string;
  version: string;
}

export interface PackageMatch {
  fixed: string | null;
}

type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface Event {
  kind: EventKind;
  version: string;
}

function eventOf(event: OsvEvent): Event {
  if ('introduced' in event) return { kind: 'introduced', version: event.introduced };
  if ('fixed' in event) return { kind: 'fixed', version: event.fixed };
  if ('last_affected' in event) return { kind: 'last_affected', version: event.last_affected };
  return { kind: 'limit', version: event.limit };
}

/** -1 for `introduced: "0"` (before every version), 1 for a `*` limit (infinity), else 0. */
function specialPosition(event: Event): number {
  if (event.kind === 'introduced' && event.version === '0') return -1;
  if (event.kind === 'limit' && event.version.includes('*')) return 1;
  return 0;
}

// At equal versions an introduction is applied first, so that [X, X) stays empty and [X, X] holds X.
const KIND_RANK: Readonly<Record<EventKind, number>> = {
  introduced: 0,
  fixed: 1,
  last_affected: 1,
  limit: 2,
};

function rangeOrder(range: OsvRange, base: OsvEcosystemName | null): VersionOrder | null {
  switch (range.type) {
    case 'ECOSYSTEM':
      return base === null ? null : versionOrder(base);
    case 'SEMVER':
      // Go's order is SemVer plus the spellings Go versions arrive in ("v1.2.3", "go1.21.3").
      return base === 'Go' ? goOrder : semverOrder;
    default:
      return null;
  }
}

/** The schema's IncludedInRanges for one range; null when an event version does not parse. */
function includedInRange(range: OsvRange, order: VersionOrder, version: string): boolean | null {
  const events = range.events.map(eventOf);
  if (!events.every((e) => specialPosition(e) !== 0 || order.isValid(e.version))) return null;

  const below = (limit: Event): boolean =>
    specialPosition(limit) === 1 || order.compare(version, limit.version) < 0;
  const limits = events.filter((e) => e.kind === 'limit');
  if (limits.length > 0 && !limits.some(below)) return false;

  const sorted = [...events].sort((a, b) => {
    const [pa, pb] = [specialPosition(a), specialPosition(b)];
    const byVersion = pa !== 0 || pb !== 0 ? pa - pb : order.compare(a.version, b.version);
    return byVersion !== 0 ? byVersion : KIND_RANK[a.kind] - KIND_RANK[b.kind];
  });
  let affected = false;
  for (const event of sorted) {
    if (event.kind === 'introduced') {
      if (specialPosition(event) === -1 || order.compare(version, event.version) >= 0) {
        affected = true;
      }
    } else if (event.kind === 'fixed') {
      if (order.compare(version, event.version) >= 0) affected = false;
    } else if (event.kind === 'last_affected') {
      if (order.compare(version, event.version) > 0) affected = false;
    }
  }
  return affected;
}

function listedIn(
  versions: readonly string[],
  version: string,
  order: VersionOrder | null,
): boolean {
  // The schema compares strings; equal-by-order also counts so that PyPI's 1.0 matches 1.0.0.
  return versions.some(
    (listed) =>
      listed === version ||
      (order !== null &&
        order.isValid(listed) &&
        order.isValid(version) &&
        order.compare(listed, version) === 0),
  );
}

interface Evaluation {
  affected: boolean;
  /** `fixed` events above the version, from every range that could be evaluated. */
  fixes: string[];
}

function evaluate(entry: OsvAffected, version: string): Evaluation {
  const base = ecosystemBase(entry.package.ecosystem);
  let affected = false;
  const fixes: string[] = [];
  for (const range of entry.ranges ?? []) {
    const order = rangeOrder(range, base);
    if (order === null || !order.isValid(version)) continue;
    const included = includedInRange(range, order, version);
    if (included === null) continue;
    affected ||= included;
    for (const event of range.events) {
      if ('fixed' in event && order.compare(event.fixed, version) > 0) fixes.push(event.fixed);
    }
  }
  const listed = listedIn(entry.versions ?? [], version, base === null ? null : versionOrder(base));
  return { affected: affected || listed, fixes };
}

/**
 * The lowest candidate that no entry considers affected. Within one range this is the first
 * `fixed` above the version; across overlapping ranges, or several entries for one package,
 * that fix may still be inside another range, and advising an upgrade that is still
 * vulnerable would be worse than advising none.
 */
function lowestFix(
  entries: readonly OsvAffected[],
  candidates: readonly string[],
  base: OsvEcosystemName | null,
): string | null {
  const order = base === null ? semverOrder : versionOrder(base);
  const sorted = [...new Set(candidates)]
    .filter((candidate) => order.isValid(candidate))
    .sort((a, b) => order.compare(a, b));
  return sorted.find((fix) => entries.every((entry) => !evaluate(entry, fix).affected)) ?? null;
}

/** Whether `version` of `affected.package` is affected, and the version that fixes it. */
export function affectedBy(affected: OsvAffected, version: string): AffectedResult {
  const evaluation = evaluate(affected, version);
  if (!evaluation.affected) return { affected: false, fixed: null };
  const base = ecosystemBase(affected.package.ecosystem);
  return { affected: true, fixed: lowestFix([affected], evaluation.fixes, base) };
}

function sameEcosystem(advisoryEcosystem: string, queryEcosystem: string): boolean {
  const base = ecosystemBase(queryEcosystem);
  // A distribution release is its own package set: Debian:11's fixed version says nothing
  // about Debian:12. Ecosystems Berth cannot order still match exactly, for SEMVER ranges.
  if (base === null || distributionFormat(base) !== null) {
    return advisoryEcosystem === queryEcosystem;
  }
  return ecosystemBase(advisoryEcosystem) === base;
}

/** The form in which two names of the ecosystem are the same package (PEP 503 for PyPI). */
export function normalizePackageName(ecosystem: string, name: string): string {
  if (ecosystemBase(ecosystem) === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}

function entriesFor(advisory: OsvRecord, query: PackageQuery): OsvAffected[] {
  const name = normalizePackageName(query.ecosystem, query.name);
  return (advisory.affected ?? []).filter(
    (entry) =>
      sameEcosystem(entry.package.ecosystem, query.ecosystem) &&
      normalizePackageName(query.ecosystem, entry.package.name) === name,
  );
}

function matchEntries(entries: readonly OsvAffected[], query: PackageQuery): PackageMatch | null {
  const hits = entries.map((entry) => evaluate(entry, query.version)).filter((e) => e.affected);
  if (hits.length === 0) return null;
  const candidates = hits.flatMap((hit) => hit.fixes);
  return { fixed: lowestFix(entries, candidates, ecosystemBase(query.ecosystem)) };
}

/**
 * Whether the advisory affects the queried package version: null when it does not (or was
 * withdrawn), else the lowest version that leaves every affected entry for the package.
 */
export function matchPackage(advisory: OsvRecord, query: PackageQuery): PackageMatch | null {
  if (advisory.withdrawn !== undefined) return null;
  return matchEntries(entriesFor(advisory, query), query);
}

/**
 * matchPackage for one installed package that OSV may know by several (ecosystem, name) pairs,
 * given most specific first: an RPM by its own name, then its source package's; an Ubuntu
 * package in the archive its version comes from, then the other (standard or Ubuntu Pro); a
 * RHEL package in each of its release's repositories. The first pair the advisory has an entry
 * for decides alone: what a database says of the package itself is never overruled by what it
 * says of a wider or another lineage (an unfixed standard-archive entry must not flag the
 * Ubuntu Pro build that fixed it).
 */
export function matchFirstNamed(
  advisory: OsvRecord,
  queries: readonly PackageQuery[],
): PackageMatch | null {
  if (advisory.withdrawn !== undefined) return null;
  for (const query of queries) {
    const entries = entriesFor(advisory, query);
    if (entries.length > 0) return matchEntries(entries, query);
  }
  return null;
}
