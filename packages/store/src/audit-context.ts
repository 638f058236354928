import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request an audit entry belongs to. Carried by async context rather than through every
 * service signature: each of the dozens of places that record an audit entry would otherwise
 * need a request id parameter it does nothing else with.
 */
const requests = new AsyncLocalStorage<{ requestId: string }>();

export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requests.run({ requestId }, fn);
}

export function currentRequestId(): string | null {
  return requests.getStore()?.requestId ?? null;
}
