import {
  InputError,
  checkDigest,
  checkNamespaceName,
  checkRepositoryName,
  checkTag,
} from '@berth/domain';

// Every name from a request passes through here before any storage call.

export function requireNamespaceName(name: string): string {
  const check = checkNamespaceName(name);
  if (!check.ok)
    throw new InputError(
      'INVALID_NAMESPACE_NAME',
      `namespace name "${clip(name)}" ${check.reason}`,
    );
  return name;
}

export function requireRepositoryName(namespace: string, repository: string): string {
  const check = checkRepositoryName(namespace, repository);
  if (!check.ok)
    throw new InputError(
      'INVALID_REPOSITORY_NAME',
      `repository name "${clip(repository)}" ${check.reason}`,
    );
  return repository;
}

export function requireDigest(digest: string): string {
  const check = checkDigest(digest);
  if (!check.ok) throw new InputError('INVALID_DIGEST', `digest "${clip(digest)}" ${check.reason}`);
  return digest;
}

export function requireTag(tag: string): string {
  const check = checkTag(tag);
  if (!check.ok) throw new InputError('INVALID_TAG', `tag "${clip(tag)}" ${check.reason}`);
  return tag;
}

/** Echoing a 10 KB name back in an error helps nobody. */
function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}…` : value;
}
