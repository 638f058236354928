import {
  type DigestAlgorithm,
  InputError,
  NotFoundError,
  checkDigest,
  checkNamespaceName,
  checkRepositoryName,
  checkTag,
  isDigestAlgorithm,
  isOciRepositoryName,
  splitFullName,
} from '@berth/domain';
import type { ManifestRef } from '@berth/store';

export interface RepositoryName {
  full: string;
  namespace: string;
  repository: string;
}

/**
 * `<namespace>/<repository>` from a /v2 path, checked against the OCI grammar (400
 * NAME_INVALID). A name the OCI grammar allows but Berth cannot hold (`app`, with no namespace,
 * or `ab/app`, whose namespace is too short) is a 404 NAME_UNKNOWN instead: such a repository
 * cannot exist here, and clients start with a HEAD, whose 400 they print as a bare
 * "400 (Bad Request)" (Docker even retries it for a minute) while a 404 reads "name unknown".
 */
export function parseRepositoryName(full: string): RepositoryName {
  const parts = splitFullName(full);
  const clipped = full.length > 80 ? `${full.slice(0, 77)}…` : full;
  const refuse = (message: string) =>
    isOciRepositoryName(full)
      ? new NotFoundError('NAME_UNKNOWN', message)
      : new InputError('NAME_INVALID', message);
  if (!parts) {
    throw refuse(
      `"${clipped}" has no namespace: every Berth repository is <namespace>/<repository>, e.g. <registry>/team/${clipped}`,
    );
  }
  const ns = checkNamespaceName(parts.namespace);
  if (!ns.ok) throw refuse(`namespace "${parts.namespace.slice(0, 40)}" ${ns.reason}`);
  const repo = checkRepositoryName(parts.namespace, parts.repository);
  if (!repo.ok) throw new InputError('NAME_INVALID', `repository "${clipped}" ${repo.reason}`);
  return { full, ...parts };
}

/**
 * A sha256 or sha512 digest. Anything else, malformed or in another algorithm, is the
 * client's mistake (400 DIGEST_INVALID, as the spec asks for an unsupported algorithm).
 */
export function requireBlobDigest(digest: string): string {
  const check = checkDigest(digest);
  if (!check.ok)
    throw new InputError('DIGEST_INVALID', `digest "${digest.slice(0, 80)}" ${check.reason}`);
  return digest;
}

/** `?digest-algorithm=` of a POST that opens an upload. */
export function requireDigestAlgorithm(value: string): DigestAlgorithm {
  if (!isDigestAlgorithm(value)) {
    throw new InputError(
      'DIGEST_INVALID',
      `digest-algorithm "${value.slice(0, 32)}" is not supported; use sha256 or sha512`,
    );
  }
  return value;
}

/** The `?tag=` parameters of a manifest push by digest, each checked, duplicates dropped. */
export function parseExtraTags(tags: readonly string[]): string[] {
  for (const tag of tags) {
    const check = checkTag(tag);
    if (!check.ok) throw new InputError('TAG_INVALID', `tag "${tag.slice(0, 80)}" ${check.reason}`);
  }
  return [...new Set(tags)];
}

export function parseReference(reference: string, forPush: boolean): ManifestRef {
  if (reference.includes(':')) return { digest: requireBlobDigest(reference) };
  const check = checkTag(reference);
  if (!check.ok) {
    if (forPush)
      throw new InputError('TAG_INVALID', `tag "${reference.slice(0, 80)}" ${check.reason}`);
    throw new NotFoundError(
      'MANIFEST_UNKNOWN',
      `"${reference.slice(0, 80)}" is neither a tag nor a digest`,
    );
  }
  return { tag: reference };
}
