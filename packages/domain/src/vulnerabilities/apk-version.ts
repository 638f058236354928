import { InvalidVersionError } from './invalid-version-error.js';

/**
 * Alpine version order, ported from apk-tools' src/version.c (the tokenizer that
 * apk_version_validate and apk_version_compare share, apk-tools 2.14 / 3.x):
 * digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}.
 *
 * The token kinds are numbered as in apk-tools because the comparison of two versions that
 * diverge in kind relies on that numbering ("the later kind is the smaller version").
 */
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

// Suffixes below NONE are pre-releases (they sort before the bare version), above are post-releases.
const SUFFIX_NONE = 5;
const SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);

interface Token {
  kind: number;
  /** The token's own characters: digits, the letter, the suffix word or the hash. */
  text: string;
  suffix: number;
}

function tokenize(version: string): Token[] {
  let pos = 0;
  const span = (accepts: RegExp): string => {
    const start = pos;
    while (pos < version.length && accepts.test(version[pos]!)) pos++;
    return version.slice(start, pos);
  };
  const tokens: Token[] = [];
  const push = (kind: number, text = '', suffix = 0): number => {
    tokens.push({ kind, text, suffix });
    return kind;
  };

  const first = span(/[0-9]/);
  let kind = push(first === '' ? INVALID : INITIAL_DIGIT, first);
  while (kind < END) {
    const c = version[pos];
    if (c === undefined) {
      kind = push(END);
    } else if (c >= 'a' && c <= 'z') {
      pos++;
      kind = push(kind > DIGIT ? INVALID : LETTER, c);
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') {
        if (kind > DIGIT) {
          kind = push(INVALID);
          continue;
        }
        pos++;
      }
      const next = kind <= DIGIT ? DIGIT : kind === SUFFIX ? SUFFIX_NO : INVALID;
      const digits = next === INVALID ? '' : span(/[0-9]/);
      kind = push(digits === '' ? INVALID : next, digits);
    } else if (c === '_') {
      pos++;
      const word = span(/[a-z]/);
      const suffix = SUFFIXES.get(word);
      kind = push(kind > SUFFIX_NO || suffix === undefined ? INVALID : SUFFIX, word, suffix);
    } else if (c === '~') {
      pos++;
      const hash = span(/[0-9a-f]/);
      kind = push(kind >= COMMIT_HASH || hash === '' ? INVALID : COMMIT_HASH, hash);
    } else if (c === '-' && version[pos + 1] === 'r' && kind < REVISION_NO) {
      pos += 2;
      const digits = span(/[0-9]/);
      kind = push(digits === '' ? INVALID : REVISION_NO, digits);
    } else {
      kind = push(INVALID);
    }
  }
  return tokens;
}

/** Numeric order of digit strings of any length (apk uses uint64; this never overflows). */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return compareBytes(x, y);
}

/** apk_blob_sort: byte order, then the shorter first. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTokens(a: Token, b: Token): number {
  switch (a.kind) {
    case DIGIT:
      // Gentoo's rule: a component with a leading zero compares as a string, so 1.01 < 1.1.
      if (a.text.startsWith('0') || b.text.startsWith('0')) return compareBytes(a.text, b.text);
      return compareNumbers(a.text, b.text);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareNumbers(a.text, b.text);
    case LETTER:
      return compareBytes(a.text, b.text);
    case SUFFIX:
      return a.suffix - b.suffix;
    default:
      return compareBytes(a.text, b.text);
  }
}

function parse(version: string): Token[] | null {
  const tokens = tokenize(version);
  return tokens[tokens.length - 1]?.kind === END ? tokens : null;
}

export function isValidApkVersion(version: string): boolean {
  return parse(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function compareApkVersions(a: string, b: string): number {
  const left = parse(a);
  if (!left) throw new InvalidVersionError('apk', a);
  const right = parse(b);
  if (!right) throw new InvalidVersionError('apk', b);
  let i = 0;
  // Both lists end with END, so while the kinds agree and are not END both have an i-th token.
  while (left[i]!.kind === right[i]!.kind && left[i]!.kind < END) {
    const order = compareTokens(left[i]!, right[i]!);
    if (order !== 0) return Math.sign(order);
    i++;
  }
  const x = left[i]!;
  const y = right[i]!;
  if (x.kind === y.kind) return 0;
  // Equal so far: the longer version is greater, unless what it goes on with is a pre-release.
  if (x.kind === SUFFIX && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === SUFFIX && y.suffix < SUFFIX_NONE) return 1;
  return x.kind > y.kind ? -1 : 1;
}
