import { checkDigest, checkNamespaceName, checkRepositoryName, checkTag } from '@berth/domain';
import { usageError } from './exit-codes.js';

/** Names are checked here with the server's own rules, so a typo is a usage error (exit 2). */
export function namespaceArg(value: string): string {
  const check = checkNamespaceName(value);
  if (!check.ok) throw usageError(`namespace "${value}" ${check.reason}`);
  return value;
}

export interface RepositoryRef {
  namespace: string;
  repository: string;
}

export function repositoryArg(value: string): RepositoryRef {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) {
    throw usageError(`"${value}" is not <namespace>/<repository>`);
  }
  const namespace = namespaceArg(value.slice(0, slash));
  const repository = value.slice(slash + 1);
  const check = checkRepositoryName(namespace, repository);
  if (!check.ok) throw usageError(`repository "${repository}" ${check.reason}`);
  return { namespace, repository };
}

export type ImageRef = RepositoryRef &
  ({ digest: string; tag?: undefined } | { tag: string; digest?: undefined });

/** `<ns>/<repo>@<digest>` or `<ns>/<repo>:<tag>`, as docker and skopeo write them. */
export function imageArg(
  value: string,
  accept: 'digest-or-tag' | 'tag' = 'digest-or-tag',
): ImageRef {
  const at = value.indexOf('@');
  if (at >= 0) {
    if (accept === 'tag')
      throw usageError(`"${value}": give a tag (<namespace>/<repository>:<tag>)`);
    const digest = value.slice(at + 1);
    const check = checkDigest(digest);
    if (!check.ok) throw usageError(`digest "${digest}" ${check.reason}`);
    return { ...repositoryArg(value.slice(0, at)), digest };
  }
  const colon = value.lastIndexOf(':');
  if (colon < 0 || value.indexOf('/', colon) >= 0) {
    const form =
      accept === 'tag'
        ? '<namespace>/<repository>:<tag>'
        : '<namespace>/<repository>@<digest> or :<tag>';
    throw usageError(`"${value}" names no image: write ${form}`);
  }
  const tag = value.slice(colon + 1);
  const check = checkTag(tag);
  if (!check.ok) throw usageError(`tag "${tag}" ${check.reason}`);
  return { ...repositoryArg(value.slice(0, colon)), tag };
}

export function intArg(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw usageError(`${flag} takes a whole number of at least ${min} (got "${value}")`);
  }
  return Number(value);
}
