import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { apiPaths } from '@berth/contract';
import { openSqlite } from '@berth/store';
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

  it('seeks the tag and digest indexes rather than scanning the namespace trash', async () => {
    // The statement the trash list runs for q=v (a tag) that could also be a digest ("ab…"),
    // as trashEntriesMatching (trash-store.ts) writes it: with `trash_entry_id IS NOT NULL`
    // the partial manifests_trash_entry index (migration 0016) read the whole trash instead.
    const handle = await openSqlite(path.join(server.dataDir, 'berth.db'));
    const rows = handle.raw
      .prepare(
        `EXPLAIN QUERY PLAN
      SELECT trash_tags.trash_entry_id FROM trash_tags
      WHERE trash_tags.repository_id IN (SELECT id FROM repositories WHERE namespace_id = 1)
        AND trash_tags.tag >= 'abcd' AND trash_tags.tag < 'abcd~'
      UNION
      SELECT manifests.trash_entry_id FROM manifests
      WHERE manifests.repository_id IN (SELECT id FROM repositories WHERE namespace_id = 1)
        AND manifests.digest >= 'sha256:abcd' AND manifests.digest < 'sha256:abcd~'
        AND coalesce(manifests.trash_entry_id, 0) <> 0`,
      )
      .all() as { detail: string }[];
    await handle.close();
    const plan = { rows };
    const details = plan.rows.map((r) => r.detail).join('\n');
    expect(details).toMatch(
      /SEARCH trash_tags USING (COVERING )?INDEX trash_tags_lookup \(repository_id=\? AND tag>\? AND tag<\?\)/,
    );
    expect(details).toMatch(
      /SEARCH manifests USING INDEX sqlite_autoindex_manifests_1 \(repository_id=\? AND digest>\? AND digest<\?\)/,
    );
    expect(details).not.toMatch(/SCAN (trash_tags|manifests|trash_entries)/);
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
