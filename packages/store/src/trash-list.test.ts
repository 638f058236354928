import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from './store.js';
import { type TestDatabase, openTestDatabase, testEngines } from './testing/engines.js';
import { SYNTHETIC_CREATED, digestOf, syntheticImage } from './testing/synthetic-manifests.js';

/*
 * The trash as people browse it: newest deletion first in keyset pages, searched by the start
 * of a remembered tag or of a digest, and the repository filter's suggestions. The same answers
 * on both engines (tags and names compare bytewise: COLLATE "C" on PostgreSQL).
 */

const T0 = SYNTHETIC_CREATED;
const DAY = 86_400_000;
const NOW = T0 + DAY;

describe.each(testEngines())('the trash listing on %s', (engine) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await openTestDatabase(engine);
    store = createStore(database.handle.db);
    await store.namespaces.ensureRegions(['local'], T0);
    await store.namespaces.create(
      { name: 'team', region: 'local', quotaBytes: null },
      { actor: 't', now: T0 },
    );
    let now = T0;
    const images: [string, string, string[]][] = [
      ['web/app', 'a', ['v1.0', 'latest']],
      ['web/app', 'b', ['v1.1']],
      ['tools', 'c', ['stable', 'V2']],
      ['tools', 'd', []],
      ['web/app', 'e', ['v1.2']],
    ];
    for (const [repo, name, tags] of images) {
      const m = syntheticImage(name, [`${name}-layer`]);
      for (const b of m.blobs) await store.registry.linkBlob('team', repo, b, now);
      await store.images.ingest('team', repo, m, tags, { actor: 't', now });
    }
    // One at a time, then two at the same instant: the id breaks the tie.
    for (const [repo, name] of [
      ['web/app', 'a'],
      ['tools', 'c'],
    ]) {
      now += 1000;
      await store.images.trash(
        'team',
        [{ repository: repo!, digest: digestOf(name!) }],
        'deleted',
        { actor: 't', now },
      );
    }
    now += 1000;
    await store.images.trash(
      'team',
      [
        { repository: 'web/app', digest: digestOf('b') },
        { repository: 'web/app', digest: digestOf('e') },
      ],
      'deleted',
      { actor: 't', now },
    );
  });
  afterEach(() => database.dispose());

  const digests = (page: { items: { digest: string }[] }) => page.items.map((i) => i.digest);

  it('pages newest deletion first without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await store.trash.list('team', { limit: 2, cursor }, NOW);
      seen.push(...digests(page));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['e', 'b', 'c', 'a'].map(digestOf));
    const [first] = (await store.trash.list('team', { limit: 1 }, NOW)).items;
    expect(first).toMatchObject({ repository: 'web/app', tags: ['v1.2'], reason: 'deleted' });
  });

  it('finds entries by the start of a remembered tag or digest, across repositories or in one', async () => {
    const find = async (q: string, repository?: string) =>
      digests(await store.trash.list('team', { q, repository, limit: 10 }, NOW));
    expect(await find('v1.')).toEqual(['e', 'b', 'a'].map(digestOf));
    expect(await find('v1.', 'tools')).toEqual([]);
    expect(await find('lat')).toEqual([digestOf('a')]);
    // Tags are case-sensitive: "V2" is not "v2".
    expect(await find('V')).toEqual([digestOf('c')]);
    const hex = digestOf('c').slice('sha256:'.length, 'sha256:'.length + 8);
    expect(await find(hex)).toEqual([digestOf('c')]);
    expect(await find(`sha256:${hex.toUpperCase()}`)).toEqual([digestOf('c')]);
    expect(await find(hex, 'web/app')).toEqual([]);
    // A live image is not in the trash.
    expect(await find(digestOf('d').slice(7, 15))).toEqual([]);
  });

  it('suggests repositories with entries in the trash whose name contains the text', async () => {
    const suggest = async (q: string) =>
      (await store.trash.repositoriesInTrash('team', q, 10, NOW)).map((r) => r.name);
    expect(await suggest('')).toEqual(['tools', 'web/app']);
    expect(await suggest('app')).toEqual(['web/app']);
    // ASCII case is ignored, as SQLite's LIKE ignores it (the console's filter relies on it).
    expect(await suggest('OO')).toEqual(['tools']);
    expect(await suggest('%')).toEqual([]);
    // Past their 30 days, entries no longer count.
    expect(await store.trash.repositoriesInTrash('team', '', 10, T0 + 40 * DAY)).toEqual([]);
  });
});
