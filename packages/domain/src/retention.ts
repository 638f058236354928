/**
 * Retention rules from the product contract: keep the N most recent images of each
 * repository ("most recent" by created time, then pushed time, then digest), optionally
 * leave untagged images alone, and never delete a protected image. Pure: the store hands
 * in one repository's images, these functions say what happens to each and why.
 */

/** A confirmation must follow its preview closely: after this a new preview is needed. */
export const RETENTION_PREVIEW_TTL_MS = 60 * 60 * 1000;

export interface RetentionRules {
  /** N: how many of the most recent counted images each repository keeps. */
  keepCount: number;
  /** Untagged images are neither deleted nor counted among the N. */
  retainUntagged: boolean;
  /** Tag patterns (`*`, `?`): an image holding a matching tag is protected. */
  excludeTags: string[];
  /** Repository patterns (`*`, `?`): every image of a matching repository is protected. */
  excludeRepositories: string[];
  /**
   * Scan protection: an image whose newest successful scan is missing, or was generated more
   * than this many days before the evaluation, is protected (see lastScanOf for what counts).
   * Null: off.
   */
  protectUnscannedDays: number | null;
}

/** One image as retention sees it: referrers and index children are never candidates. */
export interface RetentionCandidate<K = number> {
  key: K;
  digest: string;
  tags: readonly string[];
  createdAt: number | null;
  pushedAt: number;
  /**
   * For the scan protection (lastScanOf): when the image was last scanned successfully, null
   * when it (or a platform of it) never was. Absent when the image holds nothing Berth scans
   * (an artifact) and when the rules do not ask, so nothing is read for it.
   */
  lastScannedAt?: number | null;
}

/** Something outside the registry that uses an image (a project's app or job). */
export interface ImagePointer {
  /** Repository name inside the namespace. */
  repository: string;
  reference: { tag: string } | { digest: string };
  /** Who uses it, for people: `project web-shop, app storefront`. */
  usedBy: string;
}

export type Protection =
  | { kind: 'excluded-tag'; tag: string; pattern: string }
  | { kind: 'excluded-repository'; pattern: string }
  | { kind: 'in-use'; usedBy: string }
  | { kind: 'scan-missing' }
  /** `days`: whole days between the scan and the evaluation, so its sentence needs no clock. */
  | { kind: 'scan-stale'; scannedAt: number; days: number };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * An image's last successful scan, as the scan protection sees it, from the newest complete
 * result of each part of it that Berth scans (the image itself, or each platform image of an
 * index; artifacts such as Helm charts, SBOMs or an index's attestation manifests have no
 * filesystem and are never scanned, so they are not parts: the store's read says which are).
 * Null means no successful scan: a failed scan says nothing about what the image holds, so it
 * does not count. An index is only as fresh as its least recently scanned platform, and
 * unscanned if any platform is. Undefined when there are no parts: nothing to scan, nothing to
 * protect.
 */
export function lastScanOf(parts: readonly (number | null)[]): number | null | undefined {
  let last: number | null | undefined;
  for (const part of parts) last = withScannedPart(last, part);
  return last;
}

/**
 * lastScanOf a part at a time, for a reader that meets an image's parts one by one: `last` is
 * what its parts so far gave (undefined before the first), `part` the next one's newest
 * successful scan (null: none).
 */
export function withScannedPart(
  last: number | null | undefined,
  part: number | null,
): number | null {
  if (last === null || part === null) return null;
  return last === undefined ? part : Math.min(last, part);
}

export type RetentionReason =
  | { code: 'rank'; rank: number; keepCount: number }
  | { code: 'untagged-retained' }
  | { code: 'protected'; protections: Protection[]; rank: number | null }
  | { code: 'beyond-keep'; rank: number; keepCount: number };

export type RetentionDecision = 'keep' | 'protected' | 'delete';

export interface RetentionVerdict<K = number> {
  candidate: RetentionCandidate<K>;
  decision: RetentionDecision;
  reason: RetentionReason;
}

const PATTERN = /^[A-Za-z0-9_.*?/-]{1,255}$/;

/** Why a pattern is unusable, or null when it is fine. */
export function checkRetentionPattern(pattern: string): string | null {
  if (!PATTERN.test(pattern)) {
    return 'patterns use letters, digits, ".", "_", "-", "/" and the wildcards "*" and "?" (1–255 characters)';
  }
  return null;
}

/** `*` is any run of characters (including none), `?` exactly one; the whole name must match. */
export function compilePattern(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.\\^$+()[\]{}|/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * Most recent first. A missing created time sorts like the epoch, which is what reproducible
 * builds write, so such images fall back to their pushed time among themselves.
 */
export function compareRecency<K>(a: RetentionCandidate<K>, b: RetentionCandidate<K>): number {
  const created = (b.createdAt ?? 0) - (a.createdAt ?? 0);
  if (created !== 0) return created;
  const pushed = b.pushedAt - a.pushedAt;
  if (pushed !== 0) return pushed;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/** Compiled once per run rather than once per repository. */
export interface CompiledRules {
  rules: RetentionRules;
  tagPatterns: { pattern: string; regex: RegExp }[];
  repositoryPatterns: { pattern: string; regex: RegExp }[];
  /** When the rules are applied: what a scan's age is measured against. */
  evaluatedAt: number;
}

export function compileRules(rules: RetentionRules, evaluatedAt: number): CompiledRules {
  return {
    rules,
    tagPatterns: rules.excludeTags.map((pattern) => ({ pattern, regex: compilePattern(pattern) })),
    repositoryPatterns: rules.excludeRepositories.map((pattern) => ({
      pattern,
      regex: compilePattern(pattern),
    })),
    evaluatedAt,
  };
}

/** Whether the rules protect images by their scans, so the store must read them. */
export function needsScans(rules: RetentionRules): boolean {
  return rules.protectUnscannedDays !== null;
}

/**
 * The scan protection of one image: none when the option is off or the image holds nothing
 * to scan; otherwise missing, or stale when scanned more than N days (of 24 hours) before the
 * evaluation. A scan exactly N days old is still fresh.
 */
function scanProtection<K>(
  candidate: RetentionCandidate<K>,
  compiled: CompiledRules,
): Protection | null {
  const days = compiled.rules.protectUnscannedDays;
  if (days === null || candidate.lastScannedAt === undefined) return null;
  const at = candidate.lastScannedAt;
  if (at === null) return { kind: 'scan-missing' };
  const age = compiled.evaluatedAt - at;
  if (age <= days * DAY_MS) return null;
  return { kind: 'scan-stale', scannedAt: at, days: Math.floor(age / DAY_MS) };
}

function protectionsOf<K>(
  candidate: RetentionCandidate<K>,
  compiled: CompiledRules,
  repositoryExclusion: Protection | null,
  pointers: readonly ImagePointer[],
): Protection[] {
  const found: Protection[] = [];
  if (repositoryExclusion) found.push(repositoryExclusion);
  for (const { pattern, regex } of compiled.tagPatterns) {
    const tag = candidate.tags.find((t) => regex.test(t));
    if (tag !== undefined) found.push({ kind: 'excluded-tag', tag, pattern });
  }
  for (const p of pointers) {
    const hit =
      'digest' in p.reference
        ? p.reference.digest === candidate.digest
        : candidate.tags.includes(p.reference.tag);
    if (hit) found.push({ kind: 'in-use', usedBy: p.usedBy });
  }
  const scan = scanProtection(candidate, compiled);
  if (scan) found.push(scan);
  return found;
}

/**
 * Decides every image of one repository. Ranks count tagged images, and untagged ones too
 * unless `retainUntagged`; the N best-ranked are kept. Protected images count like any
 * other (the N most recent are always kept) and are kept even beyond N. The result is in
 * recency order.
 */
export function selectRetention<K>(
  repository: string,
  candidates: readonly RetentionCandidate<K>[],
  compiled: CompiledRules,
  pointers: readonly ImagePointer[] = [],
): RetentionVerdict<K>[] {
  const { keepCount, retainUntagged } = compiled.rules;
  const repoPattern = compiled.repositoryPatterns.find((p) => p.regex.test(repository));
  const repositoryExclusion: Protection | null = repoPattern
    ? { kind: 'excluded-repository', pattern: repoPattern.pattern }
    : null;
  const ownPointers = pointers.filter((p) => p.repository === repository);
  const sorted = [...candidates].sort(compareRecency);
  let rank = 0;
  return sorted.map((candidate): RetentionVerdict<K> => {
    const counted = !(retainUntagged && candidate.tags.length === 0);
    const ownRank = counted ? ++rank : null;
    const protections = protectionsOf(candidate, compiled, repositoryExclusion, ownPointers);
    if (protections.length > 0) {
      return {
        candidate,
        decision: 'protected',
        reason: { code: 'protected', protections, rank: ownRank },
      };
    }
    if (ownRank === null)
      return { candidate, decision: 'keep', reason: { code: 'untagged-retained' } };
    if (ownRank <= keepCount) {
      return { candidate, decision: 'keep', reason: { code: 'rank', rank: ownRank, keepCount } };
    }
    return {
      candidate,
      decision: 'delete',
      reason: { code: 'beyond-keep', rank: ownRank, keepCount },
    };
  });
}

/** One sentence per reason, the same in the API, the CSV and the console. */
export function describeReason(reason: RetentionReason): string {
  switch (reason.code) {
    case 'rank':
      return `rank ${reason.rank} of ${reason.keepCount} kept`;
    case 'untagged-retained':
      return 'untagged, retained by the policy';
    case 'beyond-keep':
      return `rank ${reason.rank}, beyond the ${reason.keepCount} kept`;
    case 'protected':
      return reason.protections.map(describeProtection).join('; ');
  }
}

export function describeProtection(p: Protection): string {
  switch (p.kind) {
    case 'excluded-tag':
      return `protected: tag "${p.tag}" matches the protected pattern "${p.pattern}"`;
    case 'excluded-repository':
      return `protected: repository matches the protected pattern "${p.pattern}"`;
    case 'in-use':
      return `protected: used by ${p.usedBy}`;
    case 'scan-missing':
      return 'protected: no successful scan';
    case 'scan-stale':
      return `protected: last successful scan ${p.days} ${p.days === 1 ? 'day' : 'days'} ago`;
  }
}

/**
 * What became of a previewed deletion when it is confirmed. A reason may come as its sentence
 * already (describeReason) when only that was kept: a decision read back from a preview's
 * packed columns names its protection by the sentence alone.
 */
export type ConfirmSkip =
  { code: 'gone' } | { code: 'changed' } | { code: 'now-kept'; reason: RetentionReason | string };

export function describeSkip(skip: ConfirmSkip): string {
  switch (skip.code) {
    case 'gone':
      return 'no longer live: deleted or moved to the trash after the preview';
    case 'changed':
      return 'pushed, retagged or restored after the preview';
    case 'now-kept':
      return `no longer eligible: ${typeof skip.reason === 'string' ? skip.reason : describeReason(skip.reason)}`;
  }
}

/** An image's decision now, as a confirmation compares it with the preview's. */
export interface CurrentDecision {
  revision: number;
  /** Only the decision and its reason (read only when it is not a delete). */
  verdict: { decision: RetentionDecision; reason: RetentionReason | string } | null;
}

/**
 * Confirming a preview deletes a previewed image only if nothing happened to it since (its
 * revision is the one the preview saw) and the rules, applied to the repository as it is now,
 * still delete it. Anything else is skipped with the reason; nothing outside the preview is
 * ever considered.
 */
export function planConfirmation<K>(
  previewed: readonly { key: K; revision: number }[],
  // A lookup, not the candidates: a confirmation of 900,000 images need not keep every
  // candidate it evaluated (a Map does, or a view over packed columns).
  current: { get(key: K): CurrentDecision | undefined },
): { delete: K[]; skipped: { key: K; skip: ConfirmSkip }[] } {
  const out: { delete: K[]; skipped: { key: K; skip: ConfirmSkip }[] } = {
    delete: [],
    skipped: [],
  };
  for (const p of previewed) {
    const now = current.get(p.key);
    if (!now || now.verdict === null) out.skipped.push({ key: p.key, skip: { code: 'gone' } });
    else if (now.revision !== p.revision)
      out.skipped.push({ key: p.key, skip: { code: 'changed' } });
    else if (now.verdict.decision !== 'delete') {
      out.skipped.push({ key: p.key, skip: { code: 'now-kept', reason: now.verdict.reason } });
    } else out.delete.push(p.key);
  }
  return out;
}

const DAILY_AT = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function checkDailyAt(value: string): string | null {
  return DAILY_AT.test(value) ? null : 'the daily time is HH:MM in UTC, for example 03:30';
}

/** The first time strictly after `after` at which a policy running daily at `dailyAt` (UTC) runs. */
export function nextDailyRun(after: number, dailyAt: string): number {
  const m = DAILY_AT.exec(dailyAt);
  if (!m) throw new Error(`invalid daily time ${dailyAt}`);
  const d = new Date(after);
  let at = Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    Number(m[1]),
    Number(m[2]),
  );
  if (at <= after) at += 24 * 60 * 60 * 1000;
  return at;
}
