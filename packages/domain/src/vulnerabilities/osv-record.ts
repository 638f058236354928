/**
 * The parts of an OSV record (https://ossf.github.io/osv-schema/) that Berth reads. Plain
 * types only: records are parsed and validated at the boundary where they are fetched.
 */
export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  /** Set when the advisory was retracted; a withdrawn advisory never matches. */
  withdrawn?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, or a type added to the schema later. */
  type: string;
  score: string;
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

export interface OsvAffected {
  package: OsvPackage;
  /** Per-package severity; the schema forbids it when the record has a top-level one. */
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export type OsvRangeType = 'ECOSYSTEM' | 'SEMVER' | 'GIT';

export interface OsvRange {
  type: OsvRangeType;
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

/** The schema allows exactly one of these keys per event. */
export type OsvEvent =
  { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };
