import type { PackageType } from './types.js';

/**
 * Package URLs as the purl spec writes them (https://github.com/package-url/purl-spec).
 * Advisory databases and other SBOM tools key on these strings, so they must come out
 * byte-for-byte the way the spec's reference implementations produce them.
 */
export interface PackageUrlParts {
  type: PackageType;
  /** Slash-separated; each segment is encoded on its own. */
  namespace?: string;
  name: string;
  version: string;
  /** Empty values are left out, as the spec requires. */
  qualifiers?: Record<string, string | undefined>;
}

/** The spec lowercases namespace and name for these types: their registries ignore case. */
const CASE_INSENSITIVE_TYPES: ReadonlySet<PackageType> = new Set([
  'deb',
  'apk',
  'npm',
  'pypi',
  'golang',
]);

export function packageUrl(parts: PackageUrlParts): string {
  const fold = (text: string) =>
    CASE_INSENSITIVE_TYPES.has(parts.type) ? text.toLowerCase() : text;
  let url = `pkg:${parts.type}/`;
  if (parts.namespace) {
    url += fold(parts.namespace)
      .split('/')
      .filter((segment) => segment !== '')
      .map(encodeComponent)
      .join('/');
    url += '/';
  }
  url += `${encodeComponent(fold(parts.name))}@${encodeComponent(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => [key.toLowerCase(), value] as const)
    // The spec sorts qualifiers by key so that equal packages give equal strings.
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) {
    url += `?${qualifiers.map(([key, value]) => `${key}=${encodeComponent(value)}`).join('&')}`;
  }
  return url;
}

/**
 * Percent-encodes all but RFC 3986's unreserved characters and `:`, which the spec leaves as
 * is (so epochs and Go pseudo-versions stay readable). `encodeURIComponent` would also leave
 * `!*'()` alone, which the reference implementations encode.
 */
function encodeComponent(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9._~:-]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
