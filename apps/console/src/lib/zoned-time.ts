/**
 * Times that are set in UTC (the retention schedule) but read by people in their own zone:
 * both are always shown together, each with its zone, so "03:00" is never ambiguous.
 */

interface ZoneOptions {
  /** The reader's zone; the browser's own unless a test names one. */
  timeZone?: string;
  locale?: string;
}

function clock(
  date: Date,
  timeZone: string,
  locale: string | undefined,
): {
  time: string;
  zone: string;
} {
  const parts = new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return { time: `${part('hour')}:${part('minute')}`, zone: part('timeZoneName') };
}

function dayOf(date: Date, timeZone: string, locale: string | undefined): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone }).format(date);
}

function localZone(options: ZoneOptions): string {
  return options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** True when the reader's zone shows the same clock as UTC at that instant. */
function sameAsUtc(date: Date, timeZone: string): boolean {
  const utc = clock(date, 'UTC', 'en-GB');
  const local = clock(date, timeZone, 'en-GB');
  return utc.time === local.time && dayOf(date, 'UTC', 'en-GB') === dayOf(date, timeZone, 'en-GB');
}

/**
 * An instant as "4 Dec 2026, 03:00 UTC (04:00 CET, your time)"; the reader's date is added
 * when it is another day there, and the brackets say "your time too" in a UTC zone.
 */
export function formatUtcWithLocal(iso: string, options: ZoneOptions = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const { locale } = options;
  const zone = localZone(options);
  const utcDay = dayOf(date, 'UTC', locale);
  const utc = `${utcDay}, ${clock(date, 'UTC', locale).time} UTC`;
  if (sameAsUtc(date, zone)) return `${utc} (also your time)`;
  const local = clock(date, zone, locale);
  const localDay = dayOf(date, zone, locale);
  const day = localDay === utcDay ? '' : `${localDay}, `;
  return `${utc} (${day}${local.time} ${local.zone}, your time)`;
}

const DAILY_AT = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * A daily UTC time of day as "03:00 UTC (04:00 CET, your time)", for today's date in the
 * reader's zone (summer time moves the local clock, not the schedule). Null for a time
 * that is not HH:MM.
 */
export function formatDailyUtc(
  hhmm: string,
  options: ZoneOptions & { now?: Date } = {},
): string | null {
  const match = DAILY_AT.exec(hhmm.trim());
  if (!match) return null;
  const now = options.now ?? new Date();
  const at = new Date(
    Date.UTC(
      now.getUTCFullYear(),
      now.getUTCMonth(),
      now.getUTCDate(),
      Number(match[1]),
      Number(match[2]),
    ),
  );
  const zone = localZone(options);
  const utc = `${match[1]}:${match[2]} UTC`;
  if (sameAsUtc(at, zone)) return `${utc} (also your time)`;
  const local = clock(at, zone, options.locale);
  return `${utc} (${local.time} ${local.zone}, your time)`;
}
