import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type SearchResults } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { addAccount, bearer, createKey, sent, signIn, type SignedIn } from '../testing/accounts.js';

let server: TestServer;
let seeded: SmallRegistry;
let alice: SignedIn; // viewer in team-alpha only

beforeAll(async () => {
  server = await startTestServer();
  seeded = await seedSmallRegistry(server);
  const a = await addAccount(server, 'alice', { namespaces: { 'team-alpha': 'viewer' } });
  alice = await signIn(server.url, a.username, a.password);
});
afterAll(async () => {
  await server.stop();
});

async function search(q: string, as = server.api(), limit?: number): Promise<SearchResults> {
  const res = await as.get(apiPaths.search()).query({ q, ...(limit ? { limit } : {}) });
  expect(res.status, sent(res)).toBe(200);
  return res.body as SearchResults;
}

/** Every name a result set shows, one string per result, to assert what is (not) there. */
function shown(r: SearchResults): string[] {
  return [
    ...r.namespaces.items.map((n) => `ns ${n.namespace}`),
    ...r.repositories.items.map((x) => `repo ${x.namespace}/${x.repository}`),
    ...r.tags.items.map((t) => `tag ${t.namespace}/${t.repository}:${t.tag}`),
    ...r.digests.items.map((d) => `digest ${d.namespace}/${d.repository}@${d.digest}`),
  ];
}

describe('GET /api/v1/search', () => {
  it('finds namespaces, repositories, tags and digests by prefix', async () => {
    expect(shown(await search('team'))).toEqual(['ns team-alpha', 'ns team-beta']);
    // The repository part alone, and namespace/repository.
    expect(shown(await search('web'))).toEqual(['repo team-alpha/web/app']);
    expect(shown(await search('team-alpha/'))).toEqual([
      'repo team-alpha/tools',
      'repo team-alpha/web/app',
    ]);
    expect(shown(await search('team-alpha/web/a'))).toEqual(['repo team-alpha/web/app']);
    // Tags show where they are and the image they name.
    const latest = await search('lat');
    expect(latest.tags.items).toEqual([
      { namespace: 'team-alpha', repository: 'web/app', tag: 'latest', digest: seeded.v2.digest },
    ]);
    expect(shown(await search('team-alpha/web/app:2'))).toEqual(['tag team-alpha/web/app:2.0']);
    // Digests by bare hex or sha256:, with the image's tags to tell them apart.
    const hex = seeded.v1.digest.slice('sha256:'.length, 'sha256:'.length + 8);
    for (const q of [hex, `sha256:${hex}`, `SHA256:${hex.toUpperCase()}`]) {
      expect((await search(q)).digests.items).toEqual([
        {
          namespace: 'team-alpha',
          repository: 'web/app',
          digest: seeded.v1.digest,
          tags: ['1.0'],
        },
      ]);
    }
    // Fewer than four hex digits would match half a registry: not searched as a digest.
    expect((await search(seeded.v1.digest.slice(7, 10))).digests.items).toEqual([]);
    // LIKE wildcards are plain characters that no name holds.
    expect(shown(await search('t%'))).toEqual([]);
    expect(shown(await search('_'))).toEqual([]);
  });

  it('cuts each group at the limit and says there are more', async () => {
    const r = await search('team', server.api(), 1);
    expect(r.namespaces).toEqual({ items: [{ namespace: 'team-alpha' }], more: true });
    const all = await search('team', server.api(), 2);
    expect(all.namespaces.more).toBe(false);
  });

  it('never shows a name from a namespace the caller has no role in', async () => {
    expect(shown(await search('team', alice.agent))).toEqual(['ns team-alpha']);
    const beta = seeded.beta.digest.slice(7, 19);
    for (const q of ['team-beta', 'db', 'team-beta/db', 'team-beta/db:1', '15', beta]) {
      expect(shown(await search(q, alice.agent)), q).toEqual([]);
    }
    // Admins see them all; an admin's key narrowed to team-alpha sees what it reaches.
    expect(shown(await search('15'))).toEqual(['tag team-beta/db:15']);
    const admin = await signIn(server.url, 'admin', 'correct-horse-battery-staple');
    const narrowed = await createKey(admin, 'alpha-only', 'read-only', ['team-alpha']);
    expect(shown(await search('team', bearer(server.url, narrowed)))).toEqual(['ns team-alpha']);
  });

  it('finds a public namespace for anyone signed in, as the namespaces list does', async () => {
    await server.api().patch(apiPaths.namespace('team-beta')).send({ public: true }).expect(200);
    try {
      expect(shown(await search('team-beta/', alice.agent))).toEqual(['repo team-beta/db']);
    } finally {
      await server.api().patch(apiPaths.namespace('team-beta')).send({ public: false }).expect(200);
    }
  });

  it('does not find an image in the trash by its digest or tags', async () => {
    await server
      .api()
      .post(apiPaths.imagesDelete('team-beta'))
      .send({ images: [{ repository: 'db', digest: seeded.beta.digest }] })
      .expect(200);
    const r = await search(seeded.beta.digest);
    expect(r.digests.items).toEqual([]);
    expect(shown(await search('15'))).toEqual([]);
    // Its repository holds no live image, so it is not offered either.
    expect(shown(await search('db'))).toEqual([]);
  });

  it('refuses a missing, empty or too long q and a bad limit with 400, naming the field', async () => {
    const before = await server.dump();
    const bad: [Record<string, string | string[]>, RegExp][] = [
      [{}, /^q: /],
      [{ q: '   ' }, /^q: type at least one character/],
      [{ q: 'x'.repeat(201) }, /^q: search text is at most 200 characters/],
      [{ q: ['a', 'b'] }, /^q: /],
      [{ q: 'a', limit: '0' }, /^limit: limit must be at least 1/],
      [{ q: 'a', limit: '11' }, /^limit: limit must be at most 10/],
      [{ q: 'a', limit: 'many' }, /^limit: /],
    ];
    for (const [query, message] of bad) {
      const res = await server.api().get(apiPaths.search()).query(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.message).toMatch(message);
    }
    // 200 characters is allowed.
    await server
      .api()
      .get(apiPaths.search())
      .query({ q: 'x'.repeat(200) })
      .expect(200);
    expect(await server.dump()).toBe(before);
  });
});
