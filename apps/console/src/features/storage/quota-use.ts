import { formatBytes } from '../../lib/format';

/**
 * At this share of the quota the bar turns to the warning colour: one more large image may
 * be refused.
 */
export const NEAR_LIMIT = 0.8;

export type QuotaLevel = 'ok' | 'near' | 'full';

export interface QuotaUse {
  usedBytes: number;
  quotaBytes: number;
  /** used / quota, not capped: a quota lowered below the use reads more than 1. */
  fraction: number;
  /** "42%"; never "100%" before the namespace is full, never "0%" once it holds anything. */
  percent: string;
  level: QuotaLevel;
  /** "2.1 GiB of 5.0 GiB used (42%), trash not included". */
  words: string;
}

interface NamespaceStorage {
  sizeBytes: number;
  quotaBytes: number | null;
}

/**
 * How much of a namespace's quota is used, counted the way the registry checks a push: the
 * live images' size (`sizeBytes`) against the quota. The trash is not counted: the push
 * checks (apps/server registry-service `requirePushTarget` and `commitBlob`, and
 * packages/store images-store `requireQuota`) compare `sizeBytes`, which drops as soon as an
 * image moves to the trash. Null when the namespace has no quota.
 */
export function quotaUse({ sizeBytes, quotaBytes }: NamespaceStorage): QuotaUse | null {
  if (quotaBytes === null || quotaBytes <= 0) return null;
  const fraction = sizeBytes / quotaBytes;
  // A namespace at its quota refuses every upload (used >= quota), so that is "full".
  const level: QuotaLevel = fraction >= 1 ? 'full' : fraction >= NEAR_LIMIT ? 'near' : 'ok';
  const percent = percentOf(sizeBytes, quotaBytes);
  return {
    usedBytes: sizeBytes,
    quotaBytes,
    fraction,
    percent,
    level,
    words: `${formatBytes(sizeBytes)} of ${formatBytes(quotaBytes)} used (${percent}), trash not included`,
  };
}

/**
 * Whole percent, rounded, except where rounding would tell the wrong story: 99.7% is not
 * "100%" (the next push may still fit) and 0.2% is not "0%" (something is stored).
 */
export function percentOf(used: number, quota: number): string {
  if (used <= 0) return '0%';
  const exact = (used / quota) * 100;
  if (exact < 1) return '<1%';
  if (used < quota && exact >= 99.5) return '99%';
  return `${Math.round(exact)}%`;
}

/** What to do at this level, said under the bar (and read after its numbers). */
export function quotaAdvice(use: QuotaUse): string | null {
  if (use.level === 'full') {
    return 'Full: pushes are refused. Moving images to the trash frees quota at once.';
  }
  if (use.level === 'near') {
    return `Near the limit: ${formatBytes(use.quotaBytes - use.usedBytes)} left before pushes are refused.`;
  }
  return null;
}
