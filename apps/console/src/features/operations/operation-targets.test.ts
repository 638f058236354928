import { describe, expect, it } from 'vitest';
import { buildOperation } from '../../api/operation-builder';
import {
  repositoriesBeingDeleted,
  repositoriesBeingUndone,
  repositoriesWorkedOn,
  repositoryOf,
  worksOn,
} from './operation-targets';

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
    // A running "restore repository" is found by its kind the same way.
    expect([...repositoriesWorkedOn(running, 'demo-shop', 'trash.restore')]).toEqual(['web']);
  });

  it('finds a repository among the several one delete names', () => {
    const several = buildOperation({ target: 'demo-shop/payments, demo-shop/backend/api' });
    expect(worksOn(several, 'demo-shop/backend/api')).toBe(true);
    expect(worksOn(several, 'demo-shop/backend')).toBe(false);
    expect(worksOn(buildOperation({}), 'demo-shop/payments')).toBe(true);
  });

  it('names the one repository a restore or delete works on, and nothing for several or a run', () => {
    expect(repositoryOf(buildOperation({ kind: 'trash.restore' }))).toBe('payments');
    expect(repositoryOf(buildOperation({ target: 'demo-shop/backend/api' }))).toBe('backend/api');
    expect(
      repositoryOf(buildOperation({ target: 'demo-shop/payments, demo-shop/backend/api' })),
    ).toBeNull();
    expect(
      repositoryOf(buildOperation({ kind: 'retention.run.restore', target: 'retention run 12' })),
    ).toBeNull();
  });
});

describe('repository deletes being undone', () => {
  it('names the repositories of a running delete whose undo has begun, and no others', () => {
    const undoing = { images: 3, skippedTags: 0 };
    const running = [
      buildOperation({ target: 'demo-shop/payments, demo-shop/web', rolledBack: undoing }),
      buildOperation({ target: 'demo-shop/backend/api' }),
      buildOperation({ target: 'demo-shop/old', state: 'failed', rolledBack: undoing }),
      buildOperation({ kind: 'trash.restore', target: 'demo-shop/docs', rolledBack: undoing }),
    ];
    expect([...repositoriesBeingUndone(running, 'demo-shop')]).toEqual(['payments', 'web']);
    expect([...repositoriesBeingDeleted(running, 'demo-shop')]).toEqual([
      'payments',
      'web',
      'backend/api',
    ]);
  });
});
