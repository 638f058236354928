import { describe, expect, it } from 'vitest';
import { buildOperation } from '../../api/operation-builder';
import { repositoriesBeingDeleted } from './operation-targets';

describe('what running deletes are removing', () => {
  it('names every repository of a delete of several, in that namespace only', () => {
    const running = [
      buildOperation({ target: 'demo-shop/payments, demo-shop/backend/api' }),
      buildOperation({ namespace: 'team', target: 'team/payments' }),
      buildOperation({ kind: 'trash.restore', target: 'demo-shop/web' }),
      buildOperation({ target: 'demo-shop/old', state: 'succeeded' }),
    ];
    expect([...repositoriesBeingDeleted(running, 'demo-shop')]).toEqual([
      'payments',
      'backend/api',
    ]);
    expect([...repositoriesBeingDeleted(running, 'team')]).toEqual(['payments']);
  });
});
