import { InvalidVersionError } from './invalid-version-error.js';

/**
 * Debian version order, ported from dpkg's lib/dpkg/version.c (dpkg_version_compare) and
 * lib/dpkg/parsehelp.c (parseversion). Format: [epoch:]upstream[-revision], the revision
 * starting after the LAST hyphen.
 */
interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

// dpkg stores the epoch in an int and rejects anything larger.
const MAX_EPOCH = 2 ** 31 - 1;
// dpkg only warns about these, but Debian policy requires them and dpkg refuses to install
// packages that break them, so a version outside them cannot be a real installed version.
const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;

function parse(input: string): DpkgVersion | null {
  // dpkg trims surrounding blanks but rejects embedded ones.
  const text = input.trim();
  if (/\s/.test(text)) return null;
  let rest = text;
  let epoch = 0;
  const colon = text.indexOf(':');
  if (colon !== -1) {
    const digits = text.slice(0, colon);
    if (!/^[0-9]+$/.test(digits)) return null;
    epoch = Number(digits);
    if (epoch > MAX_EPOCH) return null;
    rest = text.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? '' : rest.slice(hyphen + 1);
  if (!UPSTREAM.test(upstream)) return null;
  if (hyphen !== -1 && !REVISION.test(revision)) return null;
  return { epoch, upstream, revision };
}

const TILDE = 0x7e;
const ZERO = 0x30;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** 0 stands for the end of the string, as the NUL terminator does in dpkg. */
function charAt(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

// `~` sorts before everything, even the end of the string; letters sort before other symbols.
function order(c: number): number {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -1;
  if (c !== 0) return c + 256;
  return 0;
}

/** dpkg's verrevcmp: alternate non-digit runs (by `order`) and digit runs (numerically). */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(charAt(a, i))) || (j < b.length && !isDigit(charAt(b, j)))) {
      const ac = order(charAt(a, i));
      const bc = order(charAt(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (charAt(a, i) === ZERO) i++;
    while (charAt(b, j) === ZERO) j++;
    // Compared digit by digit rather than as numbers so that runs longer than 2^53 stay exact.
    while (isDigit(charAt(a, i)) && isDigit(charAt(b, j))) {
      if (firstDiff === 0) firstDiff = charAt(a, i) - charAt(b, j);
      i++;
      j++;
    }
    if (isDigit(charAt(a, i))) return 1;
    if (isDigit(charAt(b, j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

export function isValidDpkgVersion(version: string): boolean {
  return parse(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function compareDpkgVersions(a: string, b: string): number {
  const left = parse(a);
  if (!left) throw new InvalidVersionError('dpkg', a);
  const right = parse(b);
  if (!right) throw new InvalidVersionError('dpkg', b);
  if (left.epoch !== right.epoch) return Math.sign(left.epoch - right.epoch);
  const upstream = verrevcmp(left.upstream, right.upstream);
  if (upstream !== 0) return Math.sign(upstream);
  return Math.sign(verrevcmp(left.revision, right.revision));
}
