import type { Operation } from '@berth/contract';
import { QueryClient, type QueryKey } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { hideNamespaceBeingDeleted } from './namespace-removal';
import { buildOperation } from './operation-builder';
import { invalidateAfterOperation } from './operations';
import { queryKeys } from './query-keys';

/** A repository delete of demo-shop/payments that has ended. */
const ended = (over: Partial<Operation>): Operation =>
  buildOperation({
    id: '9',
    state: 'succeeded',
    done: 100,
    total: 100,
    finishedAt: '2026-12-03T07:00:05.000Z',
    ...over,
  });

const listParams = { q: '', sort: 'name', order: 'asc' } as const;
const keys = {
  images: queryKeys.images.list('demo-shop', 'payments', listParams),
  repositories: queryKeys.repositories.list('demo-shop', listParams),
  trash: queryKeys.trash.list('demo-shop', { repository: '', retentionRun: '', q: '' }),
  runs: queryKeys.retention.runs('demo-shop'),
  policy: queryKeys.retention.policy('demo-shop'),
  namespaces: queryKeys.namespaces.list({ region: 'local', q: '' }),
  members: queryKeys.members.namespace('demo-shop'),
  running: queryKeys.operations.running('demo-shop'),
  otherImages: queryKeys.images.list('team', 'app', listParams),
  otherTrash: queryKeys.trash.list('team', { repository: '', retentionRun: '', q: '' }),
  projects: queryKeys.projects.all(),
};

function seeded(): QueryClient {
  const client = new QueryClient();
  for (const key of Object.values(keys)) client.setQueryData(key, { seeded: true });
  return client;
}

const stale = (client: QueryClient, key: QueryKey) => client.getQueryState(key)?.isInvalidated;
const present = (client: QueryClient, key: QueryKey) => client.getQueryState(key) !== undefined;

describe('what an ended operation refreshes', () => {
  it('a repository delete: that namespace’s images, repositories, trash, counts and runs', async () => {
    const client = seeded();
    await invalidateAfterOperation(client, ended({}));
    for (const key of [
      keys.images,
      keys.repositories,
      keys.trash,
      keys.runs,
      keys.namespaces,
      keys.running,
    ]) {
      expect(stale(client, key), JSON.stringify(key)).toBe(true);
    }
    for (const key of [
      keys.policy,
      keys.members,
      keys.otherImages,
      keys.otherTrash,
      keys.projects,
    ]) {
      expect(stale(client, key), JSON.stringify(key)).toBe(false);
    }
  });

  it('a failed one too: its chunks committed before it failed and are being undone', async () => {
    const client = seeded();
    await invalidateAfterOperation(client, ended({ kind: 'trash.restore', state: 'failed' }));
    expect(stale(client, keys.trash)).toBe(true);
    expect(stale(client, keys.images)).toBe(true);
    expect(stale(client, keys.otherTrash)).toBe(false);
  });

  it('a namespace delete drops everything under the namespace instead of refetching 404s', async () => {
    const client = seeded();
    await invalidateAfterOperation(
      client,
      ended({ kind: 'namespace.delete', target: 'demo-shop' }),
    );
    for (const key of [keys.images, keys.repositories, keys.trash, keys.runs, keys.members]) {
      expect(present(client, key), JSON.stringify(key)).toBe(false);
    }
    expect(stale(client, keys.namespaces)).toBe(true);
    expect(present(client, keys.otherImages)).toBe(true);
    expect(stale(client, keys.otherImages)).toBe(false);
  });
});

describe('what a namespace delete handed over as an operation refreshes at once', () => {
  it('the lists and pickers that stop showing it, and nothing under it', async () => {
    const client = seeded();
    const options = queryKeys.namespaces.options('local');
    const detail = queryKeys.namespaces.detail('demo-shop');
    client.setQueryData(options, { seeded: true });
    client.setQueryData(detail, { seeded: true });
    await hideNamespaceBeingDeleted(client);
    expect(stale(client, keys.namespaces)).toBe(true);
    expect(stale(client, options)).toBe(true);
    // Its pages keep what they show until the delete has ended.
    for (const key of [detail, keys.images, keys.repositories, keys.trash, keys.members]) {
      expect(stale(client, key), JSON.stringify(key)).toBe(false);
    }
  });
});
