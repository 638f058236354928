import { cvss3BaseScore } from './cvss3.js';
import type { OsvRecord, OsvSeverity } from './osv-record.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'none' | 'unknown';

export interface SeverityRating {
  severity: Severity;
  /** The CVSS 3.x base score the rating comes from; null when it comes from a label. */
  score: number | null;
}

/** The qualitative rating scale of CVSS v3.1, section 5. */
export function severityOfScore(score: number): Severity {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

// GHSA writes MODERATE; Ubuntu priorities add negligible, which is still a finding, so low.
// Red Hat and its rebuilds rate Critical, Important, Moderate, Low: Important is their high.
const LABELS: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
};

function labelSeverity(label: unknown): Severity | null {
  if (typeof label !== 'string') return null;
  const key = label.trim().toLowerCase();
  return Object.hasOwn(LABELS, key) ? LABELS[key]! : null;
}

// Unknown ranks above none: a finding nobody has scored yet may be anything.
const RANK: Readonly<Record<Severity, number>> = {
  none: 0,
  unknown: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

/** Higher is worse; sort descending to put critical first. */
export function severityRank(severity: Severity): number {
  return RANK[severity];
}

function highest(severities: readonly Severity[]): Severity | null {
  return severities.reduce<Severity | null>(
    (worst, s) => (worst === null || RANK[s] > RANK[worst] ? s : worst),
    null,
  );
}

/**
 * The severity of an advisory. A computed CVSS 3.x base score wins (the worst one when several
 * are given, at record or package level); CVSS v2 and v4 are not scored here, so without a
 * v3 vector the database's own label is used: an `Ubuntu` priority, then
 * `database_specific.severity` on the record or on an affected package (GHSA's CRITICAL, HIGH,
 * MODERATE, LOW). Malformed values are skipped, never thrown.
 */
export function severityOf(record: OsvRecord): SeverityRating {
  const affected = record.affected ?? [];
  const ratings: OsvSeverity[] = [
    ...(record.severity ?? []),
    ...affected.flatMap((entry) => entry.severity ?? []),
  ];

  const scores = ratings
    .filter((rating) => rating.type === 'CVSS_V3')
    .map((rating) => cvss3BaseScore(rating.score))
    .filter((score): score is number => score !== null);
  if (scores.length > 0) {
    const score = Math.max(...scores);
    return { severity: severityOfScore(score), score };
  }

  const labels = [
    ...ratings.filter((rating) => rating.type === 'Ubuntu').map((rating) => rating.score),
    record.database_specific?.severity,
    ...affected.map((entry) => entry.database_specific?.severity),
  ];
  const labelled = highest(labels.map(labelSeverity).filter((s): s is Severity => s !== null));
  return { severity: labelled ?? 'unknown', score: null };
}
