import { InvalidVersionError } from './invalid-version-error.js';

/**
 * RPM version order: [epoch:]version[-release], ported from rpm's lib/rpmvercmp.c (rpmvercmp,
 * and rpmVersionCompare: epoch, then version, then release) and lib/rpmds.c (parseEVR).
 *
 * A missing epoch is 0 and a missing release is empty, as rpm compares two package headers.
 * rpm's dependency rule, which skips a release (or epoch) one side leaves out, is not used: it
 * makes the order non-transitive, and OSV events are sorted with this order.
 */
interface RpmVersion {
  epoch: string;
  version: string;
  release: string;
}

// rpm stores the epoch as a 32-bit unsigned header value.
const MAX_EPOCH = 2 ** 32 - 1;
// rpmbuild refuses anything else in Version and Release (ALLOWED_CHARS_VERREL plus alphanumerics).
const PART = /^[A-Za-z0-9._+%{}~^]+$/;

function parse(text: string): RpmVersion | null {
  // parseEVR: the epoch is the run of digits before a colon; the release follows the LAST hyphen.
  const epochMatch = /^(\d*):/.exec(text);
  const epoch = epochMatch ? epochMatch[1] || '0' : '0';
  const rest = epochMatch ? text.slice(epochMatch[0].length) : text;
  if (Number(epoch) > MAX_EPOCH) return null;
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const release = hyphen === -1 ? '' : rest.slice(hyphen + 1);
  if (!PART.test(version)) return null;
  if (hyphen !== -1 && !PART.test(release)) return null;
  return { epoch, version, release };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
// rpm's risalpha and risalnum are ASCII-only: every other character is a separator.
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

/**
 * rpmvercmp: alternate runs of digits (compared as numbers, leading zeros dropped) and letters
 * (compared as strings), separators skipped. `~` sorts before anything, the end included; `^`
 * sorts after the end but before any further segment. A digit run beats a letter run.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    let endA = i;
    while (endA < a.length && inSegment(a[endA])) endA++;
    let endB = j;
    while (endB < b.length && inSegment(b[endB])) endB++;
    // b has a segment of the other kind here: numeric segments are newer than alphabetic ones.
    if (endB === j) return numeric ? 1 : -1;

    let one = a.slice(i, endA);
    let two = b.slice(j, endB);
    if (numeric) {
      // Compared as digit strings rather than numbers so that long runs stay exact.
      one = one.replace(/^0+/, '');
      two = two.replace(/^0+/, '');
      if (one.length !== two.length) return one.length > two.length ? 1 : -1;
    }
    if (one !== two) return one < two ? -1 : 1;
    i = endA;
    j = endB;
  }
  // Every segment compared equal; separators may still differ, which counts for nothing.
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function compareEpochs(a: string, b: string): number {
  return Math.sign(Number(a) - Number(b));
}

export function isValidRpmVersion(version: string): boolean {
  return parse(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function compareRpmVersions(a: string, b: string): number {
  const left = parse(a);
  if (!left) throw new InvalidVersionError('rpm', a);
  const right = parse(b);
  if (!right) throw new InvalidVersionError('rpm', b);
  return (
    compareEpochs(left.epoch, right.epoch) ||
    rpmvercmp(left.version, right.version) ||
    rpmvercmp(left.release, right.release)
  );
}
