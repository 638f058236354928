import type { Operation } from '@berth/contract';

/** What an operation works on: a delete of several repositories names each ("shop/a, shop/b"). */
function targetsOf(op: Pick<Operation, 'target'>): string[] {
  // A repository name never holds ", " (the OCI name grammar has no spaces).
  return op.target.split(', ');
}

/** Whether `op` works on `target`, e.g. "demo-shop/payments", alone or among others. */
export function worksOn(op: Operation, target: string): boolean {
  return targetsOf(op).includes(target);
}

/** Repositories of `namespace` that running operations of `kind` work on, by name. */
export function repositoriesWorkedOn(
  running: readonly Operation[],
  namespace: string,
  kind: Operation['kind'],
): Set<string> {
  const prefix = `${namespace}/`;
  const names = new Set<string>();
  for (const op of running) {
    if (op.kind !== kind || op.state !== 'running' || op.namespace !== namespace) continue;
    for (const target of targetsOf(op)) {
      if (target.startsWith(prefix)) names.add(target.slice(prefix.length));
    }
  }
  return names;
}

/** Repositories of `namespace` that a running delete is emptying, by name. */
export function repositoriesBeingDeleted(
  running: readonly Operation[],
  namespace: string,
): Set<string> {
  return repositoriesWorkedOn(running, namespace, 'repository.delete');
}

/** Of those, the ones whose delete failed and is being undone (its images coming back). */
export function repositoriesBeingUndone(
  running: readonly Operation[],
  namespace: string,
): Set<string> {
  const undoing = running.filter((op) => op.rolledBack !== null);
  return repositoriesWorkedOn(undoing, namespace, 'repository.delete');
}

/**
 * The one repository `op` works on, by its name in the namespace ("backend/api" of
 * "demo-shop/backend/api"); null when it works on several, or on something else (a run).
 */
export function repositoryOf(op: Pick<Operation, 'namespace' | 'target'>): string | null {
  const targets = targetsOf(op);
  const prefix = `${op.namespace}/`;
  const [only] = targets;
  return targets.length === 1 && only?.startsWith(prefix) ? only.slice(prefix.length) : null;
}
