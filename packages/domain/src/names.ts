/**
 * Name rules from the OCI distribution spec (repository name grammar, tag grammar) and
 * from Berth's product contract (namespace names). Every name is checked here before it
 * reaches storage, so a path such as `a/../b` or `a%2Fb` never becomes a key.
 */

// One path component of an OCI repository name.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const COMPONENT_ONLY = new RegExp(`^${COMPONENT}$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** The image-spec digest grammar: `algorithm ":" encoded`, whatever the algorithm. */
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** The digest algorithms Berth hashes and stores: the two the OCI image-spec registers. */
export const DIGEST_ALGORITHMS = ['sha256', 'sha512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Docker and most clients refuse full names longer than this; so do we. */
export const MAX_FULL_NAME_LENGTH = 255;
export const NAMESPACE_MIN_LENGTH = 4;
export const NAMESPACE_MAX_LENGTH = 30;

export type NameCheck = { ok: true } | { ok: false; reason: string };

const ok: NameCheck = { ok: true };
const fail = (reason: string): NameCheck => ({ ok: false, reason });

export function checkNamespaceName(name: string): NameCheck {
  if (name.length < NAMESPACE_MIN_LENGTH || name.length > NAMESPACE_MAX_LENGTH) {
    return fail(
      `must be ${NAMESPACE_MIN_LENGTH}–${NAMESPACE_MAX_LENGTH} characters long (got ${name.length})`,
    );
  }
  if (!/^[a-z0-9_-]+$/.test(name)) {
    return fail('may contain only lowercase letters, digits, "-" and "_"');
  }
  // The namespace is the first component of every repository name, so it must also be
  // a valid OCI path component: start and end with a letter or digit, no "___".
  if (!COMPONENT_ONLY.test(name)) {
    return fail(
      'must start and end with a letter or digit, and use "_", "__" or "-" only between them',
    );
  }
  return ok;
}

/** The repository part after `<namespace>/`; it may contain `/`. */
export function checkRepositoryName(namespace: string, repository: string): NameCheck {
  if (repository.length === 0) return fail('must not be empty');
  if (!REPOSITORY_NAME.test(repository)) {
    return fail(
      'must be lowercase path components of letters and digits separated by "/", with ".", "_", "__" or "-" inside a component',
    );
  }
  const full = namespace.length + 1 + repository.length;
  if (full > MAX_FULL_NAME_LENGTH) {
    return fail(
      `full name "<namespace>/<repository>" must be at most ${MAX_FULL_NAME_LENGTH} characters (got ${full})`,
    );
  }
  return ok;
}

export function checkTag(tag: string): NameCheck {
  return TAG.test(tag)
    ? ok
    : fail(
        'must be 1–128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"',
      );
}

export function checkDigest(digest: string): NameCheck {
  if (DIGEST.test(digest)) return ok;
  const algorithm = digest.split(':')[0] ?? '';
  if (ANY_DIGEST.test(digest) && !isDigestAlgorithm(algorithm)) {
    return fail(
      `uses the algorithm "${algorithm.slice(0, 32)}", which Berth does not support; use sha256 or sha512`,
    );
  }
  return fail(
    'must be "sha256:" followed by 64 lowercase hex digits, or "sha512:" followed by 128',
  );
}

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(value);
}

/** The algorithm of a digest that passed checkDigest. */
export function digestAlgorithmOf(digest: string): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/**
 * Whether `full` is a repository name by the OCI grammar alone (`app`, `ab/app` are), whatever
 * Berth's own rules say about its namespace part.
 */
export function isOciRepositoryName(full: string): boolean {
  return full.length <= MAX_FULL_NAME_LENGTH && REPOSITORY_NAME.test(full);
}

/** Splits a full OCI name into namespace and repository, or null if it has no `/`. */
export function splitFullName(full: string): { namespace: string; repository: string } | null {
  const slash = full.indexOf('/');
  if (slash <= 0) return null;
  return { namespace: full.slice(0, slash), repository: full.slice(slash + 1) };
}
