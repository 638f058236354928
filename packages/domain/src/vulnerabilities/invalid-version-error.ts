import { InputError } from '../errors.js';

/** The version grammars Berth understands; each has its own module beside this one. */
export type VersionScheme = 'dpkg' | 'apk' | 'rpm' | 'pep440' | 'semver' | 'go';

/**
 * Thrown by the compare functions when either side is not a version of their scheme. It is an
 * InputError so that a version typed into the API becomes a 400, while matching catches it
 * (or checks validity first) and treats the range as undecidable instead of failing a scan.
 */
export class InvalidVersionError extends InputError {
  constructor(
    readonly scheme: VersionScheme,
    readonly version: string,
  ) {
    super('INVALID_VERSION', `"${version}" is not a valid ${scheme} version`, { scheme, version });
  }
}
