import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase, openTestDatabase, selectRows, testEngines } from './testing/engines.js';
import { createStore, type Store } from './store.js';

const T0 = Date.UTC(2026, 0, 1);

describe.each(testEngines())('audit log on %s', (engine) => {
  let database: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    database = await openTestDatabase(engine);
    store = createStore(database.handle.db);
  });
  afterEach(() => database.dispose());

  const event = (actor: string, action: string, target: string) => ({
    actor,
    action,
    target,
    outcome: 'success' as const,
  });

  it('refuses to change or delete an entry', async () => {
    await store.audit.record(T0, event('user:alice', 'namespace.create', 'team'));
    const db = database.handle.db;
    await expect(sql`UPDATE audit_events SET actor = 'user:mallory'`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM audit_events`.execute(db)).rejects.toThrow(/append-only/);
    expect(await selectRows(db, 'SELECT actor FROM audit_events')).toEqual([
      { actor: 'user:alice' },
    ]);
  });

  it('filters by prefix with % and _ taken literally, ignoring ASCII case as SQLite does', async () => {
    await store.audit.record(T0, event('user:alice', 'namespace.create', 'team'));
    await store.audit.record(T0 + 1, event('user:a_b', 'namespace.delete', 'team_x/app'));
    await store.audit.record(T0 + 2, event('user:axb', 'session.login', 'teamxx/app'));
    await store.audit.record(T0 + 3, event('key:Alice/ci', 'tag.push', 'team/app'));
    const actors = async (q: Parameters<Store['audit']['list']>[0]) =>
      (await store.audit.list(q)).items.map((e) => e.actor);
    expect(await actors({ actor: 'user:a_' })).toEqual(['user:a_b']);
    expect(await actors({ actor: 'user:%' })).toEqual([]);
    expect(await actors({ action: 'NAMESPACE.' })).toEqual(['user:a_b', 'user:alice']);
    expect(await actors({ actor: 'key:alice/' })).toEqual(['key:Alice/ci']);
    // The namespace itself or what is in it; team_x is another namespace, not a pattern.
    expect(await actors({ namespace: 'team' })).toEqual(['key:Alice/ci', 'user:alice']);
    expect(await actors({ namespace: 'team_x' })).toEqual(['user:a_b']);
  });

  it("lists an image's timeline from the entries that name its digest", async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const other = `sha256:${'b'.repeat(64)}`;
    const deleted = (repository: string, d: string) => ({
      ...event('user:alice', 'image.delete', 'team'),
      details: { images: [{ repository, digest: d, tags: ['v1'] }], reason: 'deleted' },
    });
    await store.audit.record(T0 + 1, deleted('app', digest));
    await store.audit.record(T0 + 2, deleted('app', other));
    await store.audit.record(T0 + 3, deleted('web', digest));
    await store.audit.record(T0 + 4, {
      ...event('user:bob', 'image.restore', `team/app@${digest}`),
      details: { tags: ['v1'] },
    });
    await store.audit.record(T0 + 5, {
      ...event('user:bob', 'tag.delete', 'team/app:v1'),
      details: { digest },
    });
    const timeline = await store.imageDetails.timeline('team', 'app', digest, T0, 10);
    expect(timeline.truncated).toBe(false);
    expect(timeline.entries.map((e) => [e.action, e.tags])).toEqual([
      ['tag.delete', ['v1']],
      ['image.restore', ['v1']],
      ['image.delete', ['v1']],
    ]);
  });
});
