/**
 * CVSS 3.x base score, per the CVSS v3.1 specification section 7 and Appendix A. The 3.0
 * formulas for the base score are the same; 3.1 only made Roundup exact in floating point,
 * so its Roundup is used for both.
 */
const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  // Scope has no weight of its own; it selects formulas. Listed so that its values are checked.
  S: { U: 0, C: 0 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
} as const;

type BaseMetric = keyof typeof WEIGHTS;

// Privileges weigh more when the attack changes scope.
const PR_SCOPE_CHANGED = { N: 0.85, L: 0.68, H: 0.5 } as const;

// Temporal and environmental metrics may follow the base ones; they do not change the base score.
const OTHER_METRICS = /^(E|RL|RC|CR|IR|AR|MAV|MAC|MPR|MUI|MS|MC|MI|MA):[A-Z]$/;

function isBaseMetric(key: string): key is BaseMetric {
  return Object.hasOwn(WEIGHTS, key);
}

/** Appendix A: the smallest one-decimal number >= input, immune to floating-point error. */
export function cvssRoundup(input: number): number {
  const scaled = Math.round(input * 100_000);
  if (scaled % 10_000 === 0) return scaled / 100_000;
  return (Math.floor(scaled / 10_000) + 1) / 10;
}

/** Base metric values by name, or null when the vector is malformed. */
function parseVector(vector: string): Map<BaseMetric, string> | null {
  const [prefix, ...parts] = vector.trim().split('/');
  if (prefix !== 'CVSS:3.0' && prefix !== 'CVSS:3.1') return null;
  const seen = new Set<string>();
  const base = new Map<BaseMetric, string>();
  for (const part of parts) {
    const [key = '', value = ''] = part.split(':');
    if (seen.has(key)) return null;
    seen.add(key);
    if (isBaseMetric(key)) {
      if (!Object.hasOwn(WEIGHTS[key], value)) return null;
      base.set(key, value);
    } else if (!OTHER_METRICS.test(part)) {
      return null;
    }
  }
  return base.size === Object.keys(WEIGHTS).length ? base : null;
}

/** The base score of a CVSS:3.0 or CVSS:3.1 vector, or null when the vector is malformed. */
export function cvss3BaseScore(vector: string): number | null {
  const metrics = parseVector(vector);
  if (!metrics) return null;
  const weight = (metric: BaseMetric, table: Readonly<Record<string, number>> = WEIGHTS[metric]) =>
    table[metrics.get(metric)!]!;
  const changed = metrics.get('S') === 'C';

  const iss = 1 - (1 - weight('C')) * (1 - weight('I')) * (1 - weight('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const privileges = weight('PR', changed ? PR_SCOPE_CHANGED : WEIGHTS.PR);
  const exploitability = 8.22 * weight('AV') * weight('AC') * privileges * weight('UI');
  if (impact <= 0) return 0;
  const raw = changed ? 1.08 * (impact + exploitability) : impact + exploitability;
  return cvssRoundup(Math.min(raw, 10));
}
