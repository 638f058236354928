import type { Operation } from '@berth/contract';

/** What an operation works on: a delete of several repositories names each ("shop/a, shop/b"). */
function targetsOf(op: Operation): string[] {
  // A repository name never holds ", " (the OCI name grammar has no spaces).
  return op.target.split(', ');
}

/** Whether `op` works on `target`, e.g. "demo-shop/payments", alone or among others. */
export function worksOn(op: Operation, target: string): boolean {
  return targetsOf(op).includes(target);
}

/** Repositories of `namespace` that a running delete is emptying, by name. */
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
    for (const target of targetsOf(op)) {
      if (target.startsWith(prefix)) names.add(target.slice(prefix.length));
    }
  }
  return names;
}
