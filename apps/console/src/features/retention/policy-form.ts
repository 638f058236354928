import {
  MAX_EXCLUDE_PATTERNS,
  MAX_KEEP_COUNT,
  MAX_PROTECT_UNSCANNED_DAYS,
  type RetentionPolicy,
  type RetentionPolicyBody,
  type RetentionRules,
} from '@berth/contract';

/** What the form holds: text as typed, so a half-typed value is never silently rewritten. */
export interface PolicyFormValues {
  keepCount: string;
  retainUntagged: boolean;
  excludeTags: string;
  excludeRepositories: string;
  /** The scan protection is on; its days are kept while it is off, to turn it on again. */
  protectUnscanned: boolean;
  protectUnscannedDays: string;
  enabled: boolean;
  dailyAt: string;
}

/**
 * Days offered when the scan protection is turned on: results are renewed at the latest the
 * day before they expire (30 days), so 30 protects what has no current scan without also
 * protecting images whose results simply waited for new advisory data.
 */
export const DEFAULT_PROTECT_UNSCANNED_DAYS = 30;

export type PolicyFormErrors = Partial<Record<keyof PolicyFormValues, string>>;

const DAILY_AT = /^([01]\d|2[0-3]):[0-5]\d$/;

export function formValuesFrom(policy: RetentionPolicy): PolicyFormValues {
  return {
    keepCount: String(policy.keepCount),
    retainUntagged: policy.retainUntagged,
    excludeTags: policy.excludeTags.join(', '),
    excludeRepositories: policy.excludeRepositories.join(', '),
    protectUnscanned: policy.protectUnscannedDays !== null,
    protectUnscannedDays: String(policy.protectUnscannedDays ?? DEFAULT_PROTECT_UNSCANNED_DAYS),
    enabled: policy.enabled,
    dailyAt: policy.dailyAt,
  };
}

export function splitPatterns(text: string): string[] {
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}

function patternError(text: string): string | undefined {
  const count = splitPatterns(text).length;
  return count > MAX_EXCLUDE_PATTERNS
    ? `At most ${MAX_EXCLUDE_PATTERNS} patterns (${count} entered).`
    : undefined;
}

/**
 * The checks a person can fix before asking the server; the server re-checks everything
 * (pattern grammar included) and its message is shown when it disagrees.
 */
export function validateRules(values: PolicyFormValues): PolicyFormErrors {
  const errors: PolicyFormErrors = {};
  const keep = Number(values.keepCount);
  if (values.keepCount.trim() === '' || !Number.isInteger(keep)) {
    errors.keepCount = 'Enter a whole number of images.';
  } else if (keep < 0 || keep > MAX_KEEP_COUNT) {
    errors.keepCount = `Enter a number from 0 to ${MAX_KEEP_COUNT.toLocaleString()}.`;
  }
  const tags = patternError(values.excludeTags);
  if (tags) errors.excludeTags = tags;
  const repositories = patternError(values.excludeRepositories);
  if (repositories) errors.excludeRepositories = repositories;
  if (values.protectUnscanned) {
    const days = Number(values.protectUnscannedDays);
    if (
      values.protectUnscannedDays.trim() === '' ||
      !Number.isInteger(days) ||
      days < 1 ||
      days > MAX_PROTECT_UNSCANNED_DAYS
    ) {
      errors.protectUnscannedDays = `Enter a whole number of days from 1 to ${MAX_PROTECT_UNSCANNED_DAYS}.`;
    }
  }
  return errors;
}

export function validatePolicy(values: PolicyFormValues): PolicyFormErrors {
  const errors = validateRules(values);
  if (!DAILY_AT.test(values.dailyAt.trim())) {
    errors.dailyAt = 'Enter a time as HH:MM in UTC, for example 03:30.';
  }
  return errors;
}

export function rulesFrom(values: PolicyFormValues): RetentionRules {
  return {
    keepCount: Number(values.keepCount),
    retainUntagged: values.retainUntagged,
    excludeTags: splitPatterns(values.excludeTags),
    excludeRepositories: splitPatterns(values.excludeRepositories),
    protectUnscannedDays: values.protectUnscanned ? Number(values.protectUnscannedDays) : null,
  };
}

export function policyBodyFrom(values: PolicyFormValues): RetentionPolicyBody {
  return { ...rulesFrom(values), enabled: values.enabled, dailyAt: values.dailyAt.trim() };
}

/** Whether the form differs from what is saved, compared as the server would store it. */
export function isDirty(values: PolicyFormValues, policy: RetentionPolicy): boolean {
  const body = policyBodyFrom(values);
  return (
    body.keepCount !== policy.keepCount ||
    body.retainUntagged !== policy.retainUntagged ||
    body.enabled !== policy.enabled ||
    body.dailyAt !== policy.dailyAt ||
    (body.protectUnscannedDays ?? null) !== policy.protectUnscannedDays ||
    (body.excludeTags ?? []).join(',') !== policy.excludeTags.join(',') ||
    (body.excludeRepositories ?? []).join(',') !== policy.excludeRepositories.join(',')
  );
}

function daysText(days: number): string {
  return days === 1 ? '1 day' : `${days.toLocaleString()} days`;
}

/** One sentence of what a set of rules does, for the preview and the confirmation. */
export function describeRules(rules: RetentionRules): string {
  const parts = [
    rules.keepCount === 0
      ? 'Keeps no image by recency'
      : rules.keepCount === 1
        ? 'Keeps the most recent image of each repository'
        : `Keeps the ${rules.keepCount.toLocaleString()} most recent images of each repository`,
  ];
  if (rules.retainUntagged) parts.push('leaves untagged images alone');
  if (rules.excludeTags.length > 0) parts.push(`protects tags ${rules.excludeTags.join(', ')}`);
  if (rules.excludeRepositories.length > 0) {
    parts.push(`protects repositories ${rules.excludeRepositories.join(', ')}`);
  }
  if (rules.protectUnscannedDays !== null) {
    parts.push(
      `protects images without a successful scan in the last ${daysText(rules.protectUnscannedDays)}`,
    );
  }
  const last = parts.pop() ?? '';
  return parts.length > 0 ? `${parts.join(', ')} and ${last}.` : `${last}.`;
}

/** Where a set of rules comes from, seen from the policy saved now. */
export type RulesSource = 'saved' | 'defaults' | 'unsaved';

function sameRules(rules: RetentionRules, policy: RetentionPolicy): boolean {
  return (
    rules.keepCount === policy.keepCount &&
    rules.retainUntagged === policy.retainUntagged &&
    rules.excludeTags.join(',') === policy.excludeTags.join(',') &&
    rules.excludeRepositories.join(',') === policy.excludeRepositories.join(',') &&
    rules.protectUnscannedDays === policy.protectUnscannedDays
  );
}

/**
 * A preview may run on settings nobody saved (to try them before saving, as Harbor's dry
 * run does), so each preview and run says which: the saved policy, the defaults (nothing
 * saved yet) or settings that differ from what is saved.
 */
export function rulesSource(rules: RetentionRules, policy: RetentionPolicy): RulesSource {
  if (!sameRules(rules, policy)) return 'unsaved';
  return policy.saved ? 'saved' : 'defaults';
}

/** The settings in brief, "N=5; retain untagged: yes; protected tags: latest". */
export function settingsInBrief(rules: RetentionRules): string {
  const parts = [
    `N=${rules.keepCount.toLocaleString()}`,
    `retain untagged: ${rules.retainUntagged ? 'yes' : 'no'}`,
  ];
  if (rules.excludeTags.length > 0) parts.push(`protected tags: ${rules.excludeTags.join(', ')}`);
  if (rules.excludeRepositories.length > 0) {
    parts.push(`protected repositories: ${rules.excludeRepositories.join(', ')}`);
  }
  if (rules.protectUnscannedDays !== null) {
    parts.push(`scan protection: ${daysText(rules.protectUnscannedDays)}`);
  }
  return parts.join('; ');
}

/** "Previewing unsaved settings (N=5; retain untagged: yes)", and the same for the others. */
export function rulesSourceSentence(
  verb: 'Previewing' | 'Ran with',
  rules: RetentionRules,
  policy: RetentionPolicy,
): string {
  const what = {
    saved: 'the saved policy',
    defaults: 'the default settings (no policy is saved)',
    unsaved: 'unsaved settings',
  }[rulesSource(rules, policy)];
  return `${verb} ${what} (${settingsInBrief(rules)})`;
}

/**
 * Whether the "these are the defaults" hint is true: nothing is saved and the form still
 * holds the values it was given, which then are the defaults.
 */
export function showsDefaults(values: PolicyFormValues, policy: RetentionPolicy): boolean {
  return !policy.saved && !isDirty(values, policy);
}
