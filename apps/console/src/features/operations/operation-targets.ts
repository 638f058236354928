import type { Operation } from '@berth/contract';

/**
 * Repositories of `namespace` that a running delete is emptying, by name. A delete of several
 * names them all in its target ("shop/a, shop/b"); a repository name never holds ", ".
 */
export function repositoriesBeingDeleted(
  running: readonly Operation[],
  namespace: string,
): Set<string> {
  const prefix = `${namespace}/`;
  const names = new Set<string>();
  for (const op of running) {
    if (op.kind !== 'repository.delete' || op.state !== 'running' || op.namespace !== namespace) {
      continue;
    }
    for (const target of op.target.split(', ')) {
      if (target.startsWith(prefix)) names.add(target.slice(prefix.length));
    }
  }
  return names;
}
