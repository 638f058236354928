import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, trashSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { addAccount, signIn } from '../testing/accounts.js';

let server: TestServer;
let reg: SmallRegistry;
const NS = 'team-alpha';
const api = () => server.api();

beforeEach(async () => {
  server = await startTestServer();
  reg = await seedSmallRegistry(server);
  // web/app: v2 (latest, 2.0) and v1 (1.0) in the trash; tools: its index (stable).
  await trashSmallRegistry(server, reg);
});
afterEach(async () => {
  await server.stop();
});

async function search(query: Record<string, string>) {
  const res = await api().get(apiPaths.trash(NS)).query(query).expect(200);
  return (res.body.items as { digest: string; repository: string }[]).map((i) => i.digest);
}

describe('searching the trash by tag or digest', () => {
  it('finds images by the start of a remembered tag, across repositories or in one', async () => {
    expect(await search({ q: 'lat' })).toEqual([reg.v2.digest]);
    expect((await search({ q: '2.' })).sort()).toEqual([reg.v2.digest]);
    expect(await search({ q: 'stab' })).toEqual([reg.index.digest]);
    expect(await search({ q: 'stab', repository: 'web/app' })).toEqual([]);
    // Newest deletion first, as the unfiltered trash; one entry once though two tags match.
    expect(await search({ q: '1.0' })).toEqual([reg.v1.digest]);
    expect(await search({ q: 'nothing-like-it' })).toEqual([]);
  });

  it('finds images by the start of their digest, with or without the algorithm', async () => {
    const hex = reg.v1.digest.slice('sha256:'.length, 'sha256:'.length + 10);
    expect(await search({ q: hex })).toEqual([reg.v1.digest]);
    expect(await search({ q: `sha256:${hex}` })).toEqual([reg.v1.digest]);
    expect(await search({ q: `SHA256:${hex.toUpperCase()}` })).toEqual([reg.v1.digest]);
    expect(await search({ q: hex, repository: 'tools' })).toEqual([]);
    // A live image is not in the trash, whatever its digest.
    const old = reg.old.digest.slice(7, 17);
    expect(await search({ q: old })).toEqual([]);
  });

  it('refuses search text that is no tag or digest, with a clear error', async () => {
    for (const q of ['a b', "x' OR 1=1", '%', 'a'.repeat(136)]) {
      const res = await api().get(apiPaths.trash(NS)).query({ q }).expect(400);
      expect(res.body.error).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/q/),
      });
    }
  });
});

describe('the trash filter suggestions', () => {
  it('lists repositories with images in the trash whose name contains the text', async () => {
    const list = async (q?: string) =>
      (
        await api()
          .get(apiPaths.trashRepositories(NS))
          .query(q === undefined ? {} : { q })
          .expect(200)
      ).body.items;
    expect(await list()).toEqual([{ name: 'tools' }, { name: 'web/app' }]);
    expect(await list('app')).toEqual([{ name: 'web/app' }]);
    expect(await list('OO')).toEqual([{ name: 'tools' }]);
    expect(await list('%')).toEqual([]);
    // Back from the trash: no longer suggested.
    await api()
      .post(apiPaths.trashRestore(NS))
      .send({ repository: 'tools', digest: reg.index.digest })
      .expect(200);
    expect(await list()).toEqual([{ name: 'web/app' }]);
  });

  it('answers only people who may read the namespace, and refuses a bad limit', async () => {
    await api().get(apiPaths.trashRepositories(NS)).query({ limit: 0 }).expect(400);
    const o = await addAccount(server, 'outsider', { namespaces: { 'team-beta': 'viewer' } });
    const outsider = await signIn(server.url, o.username, o.password);
    await outsider.agent.get(apiPaths.trashRepositories(NS)).expect(404);
    const v = await addAccount(server, 'victor', { namespaces: { [NS]: 'viewer' } });
    const viewer = await signIn(server.url, v.username, v.password);
    await viewer.agent.get(apiPaths.trashRepositories(NS)).expect(200);
  });
});
