import semver from 'semver';
import { InvalidVersionError } from './invalid-version-error.js';

/**
 * Go order. Modules use SemVer with a "v" (Go binaries record "v1.2.3", OSV Go advisories
 * write "1.2.3"); pseudo-versions such as v0.0.0-20210101000000-abcdef123456 are ordinary
 * SemVer prereleases and `+incompatible` is build metadata, so SemVer precedence covers both.
 * The standard library is versioned by toolchain tags ("go1.21.3", "go1.21rc2"); they are
 * mapped to SemVer the way the Go vulnerability database does (go1.21rc2 -> 1.21.0-rc.2,
 * go1.20 -> 1.20.0).
 */
const TOOLCHAIN = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$/;
// golang.org/x/mod/semver accepts "v1" and "v1.2" as shorthands for v1.0.0 and v1.2.0.
const SHORTHAND = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/;

function toSemver(version: string): string | null {
  const toolchain = TOOLCHAIN.exec(version);
  if (toolchain) {
    const [, major, minor = '0', patch = '0', pre, preNumber] = toolchain;
    const core = `${major}.${minor}.${patch}`;
    return semver.valid(pre ? `${core}-${pre}.${preNumber}` : core);
  }
  const shorthand = SHORTHAND.exec(version);
  if (shorthand) return `${shorthand[1]}.${shorthand[2] ?? '0'}.0`;
  return semver.valid(version);
}

export function isValidGoVersion(version: string): boolean {
  return toSemver(version) !== null;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; throws InvalidVersionError. */
export function compareGoVersions(a: string, b: string): number {
  const left = toSemver(a);
  if (left === null) throw new InvalidVersionError('go', a);
  const right = toSemver(b);
  if (right === null) throw new InvalidVersionError('go', b);
  return semver.compare(left, right);
}
