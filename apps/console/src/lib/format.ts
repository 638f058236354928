// One rule for sizes, shared with the registry's quota messages.
export { formatBytes } from '@berth/domain';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
// Every time shown with a clock also names its zone ("3 Dec 2026, 14:05 CET"): people in
// different zones read the same page, and the server's scheduled times are in UTC. Intl
// refuses timeZoneName beside dateStyle, hence the fields one by one.
const ZONED = { timeZoneName: 'short', hour: '2-digit', minute: '2-digit' } as const;
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  ...ZONED,
});

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Day only: table columns stay narrow; the exact time is in `formatDateTime`. */
export function formatDate(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateFormat.format(date) : '—';
}

export function formatDateTime(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateTimeFormat.format(date) : '—';
}

const timestampFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  second: '2-digit',
  ...ZONED,
});

/** To the second: audit entries often come several to the minute. */
export function formatTimestamp(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? timestampFormat.format(date) : '—';
}

/** `<algorithm>:` and the first 12 hex digits: unique in practice, short to scan. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!hex) return digest.slice(0, 19);
  return `${algorithm}:${hex.slice(0, 12)}`;
}

/**
 * The one rule for singular and plural: `plural(1, 'it', 'they')` is "it". English needs
 * it for more than nouns (is/are, its/their), so the words are given, not derived.
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/** A count and its noun: "1 image", "3 images", "2 repositories". */
export function pluralize(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString()} ${plural(count, singular, pluralForm)}`;
}

/** "job template" -> "Job template", for a noun that starts a sentence. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The push command for the registry at `host`; plain HTTP needs skopeo told so. */
export function pushCommand(host: string, target: string): string {
  const insecure = window.location.protocol === 'http:' ? ' --dest-tls-verify=false' : '';
  return `skopeo copy${insecure} docker://docker.io/library/alpine:latest docker://${host}/${target}`;
}

/** `host/namespace/repository:tag`, or `@digest`; `host` from useRegistryHost. */
export function pullReference(
  host: string,
  namespace: string,
  repository: string,
  tagOrDigest: string,
): string {
  const separator = tagOrDigest.includes(':') ? '@' : ':';
  return `${host}/${namespace}/${repository}${separator}${tagOrDigest}`;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long until `iso`, in the two largest units ("6 days 23 hours left"), for countdowns
 * such as a deleted project's purge. Rounds down: it never promises more time than is left.
 */
export function formatTimeLeft(iso: string | null | undefined, now: number): string {
  const date = parse(iso);
  if (!date) return '—';
  const ms = date.getTime() - now;
  if (ms <= 0) return 'due for permanent deletion';
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / MINUTE_MS);
  const unit = (count: number, word: string) => pluralize(count, word);
  if (days > 0) return `${unit(days, 'day')}${hours > 0 ? ` ${unit(hours, 'hour')}` : ''} left`;
  if (hours > 0) {
    return `${unit(hours, 'hour')}${minutes > 0 ? ` ${unit(minutes, 'minute')}` : ''} left`;
  }
  return minutes > 0 ? `${unit(minutes, 'minute')} left` : 'less than a minute left';
}
