import type { Operation } from '@berth/contract';

/**
 * Test data: an operation as the server reports one, by default a repository delete of
 * demo-shop/payments still running at 45,000 of 100,000 images; `over` sets what a test is about.
 */
export function buildOperation(over: Partial<Operation> = {}): Operation {
  return {
    id: '7',
    kind: 'repository.delete',
    namespace: 'demo-shop',
    target: 'demo-shop/payments',
    state: 'running',
    done: 45_000,
    total: 100_000,
    actor: 'admin',
    startedAt: '2026-12-03T07:00:00.000Z',
    updatedAt: '2026-12-03T07:00:05.000Z',
    finishedAt: null,
    result: null,
    error: null,
    waiting: null,
    rolledBack: null,
    ...over,
  };
}
