import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { addAccount, signIn } from '../testing/accounts.js';

let server: TestServer;
let reg: SmallRegistry;

beforeEach(async () => {
  server = await startTestServer();
  reg = await seedSmallRegistry(server);
});
afterEach(async () => {
  await server.stop();
});

const api = () => server.api();
const NS = 'team-alpha';
const missing = 'sha256:' + 'f'.repeat(64);

async function restoreAudits() {
  return server.store.db
    .selectFrom('audit_events')
    .select(['action', 'actor', 'target', 'outcome', 'details'])
    .where('action', 'in', ['images.restore', 'repository.restore'])
    .orderBy('id')
    .execute();
}

async function trashAll() {
  await api()
    .post(apiPaths.imagesDelete(NS))
    .send({
      images: [
        { repository: 'web/app', digest: reg.v2.digest },
        { repository: 'web/app', digest: reg.v1.digest },
        { repository: 'tools', digest: reg.index.digest },
      ],
    })
    .expect(200);
}

describe('restoring a selection from the trash', () => {
  it('restores every selected image with its tags and records one audit entry', async () => {
    await trashAll();
    const res = await api()
      .post(apiPaths.trashRestoreMany(NS))
      .send({
        items: [
          { repository: 'web/app', digest: reg.v1.digest },
          { repository: 'tools', digest: reg.index.digest },
          { repository: 'web/app', digest: reg.v2.digest },
        ],
      })
      .expect(200);
    expect(res.body.restored).toBe(3);
    expect(res.body.skippedTagCount).toBe(0);
    expect(
      res.body.images.map((i: { digest: string; tags: string[] }) => [i.digest, i.tags]),
    ).toEqual(
      expect.arrayContaining([
        [reg.v2.digest, ['2.0', 'latest']],
        [reg.v1.digest, ['1.0']],
        [reg.index.digest, ['stable']],
      ]),
    );
    const images = await api().get(apiPaths.images(NS, 'web/app')).expect(200);
    expect(images.body.items[0]).toMatchObject({
      digest: reg.v2.digest,
      referrers: [{ digest: reg.sig.digest }],
    });
    expect((await api().get(apiPaths.trash(NS))).body.items).toEqual([]);
    expect((await api().get(apiPaths.namespace(NS))).body).toMatchObject({
      imageCount: 4,
      trashCount: 0,
    });
    expect(await restoreAudits()).toEqual([
      {
        action: 'images.restore',
        actor: expect.stringContaining('admin'),
        target: NS,
        outcome: 'success',
        details: JSON.stringify({ restored: 3, skippedTags: 0 }),
      },
    ]);
  });

  it('restores nothing when one selected image is not in the trash, and says which', async () => {
    await trashAll();
    const before = await server.dump();
    const res = await api()
      .post(apiPaths.trashRestoreMany(NS))
      .send({
        items: [
          { repository: 'web/app', digest: reg.v2.digest },
          { repository: 'web/app', digest: reg.old.digest },
        ],
      })
      .expect(404);
    expect(res.body.error).toMatchObject({
      code: 'TRASH_ENTRY_UNKNOWN',
      message: expect.stringContaining(reg.old.digest),
    });
    expect(res.body.error.message).toContain('nothing was restored');
    expect(await server.dump()).toBe(before);
    expect(await restoreAudits()).toEqual([]);
  });

  it('refuses bad input with a clear error', async () => {
    const cases: { body: object; status: number; code: string; message: RegExp }[] = [
      { body: { items: [] }, status: 400, code: 'INVALID_REQUEST', message: /at least one/ },
      {
        body: {
          items: Array.from({ length: 1001 }, () => ({ repository: 'web/app', digest: missing })),
        },
        status: 400,
        code: 'INVALID_REQUEST',
        message: /at most 1000/,
      },
      {
        body: { items: [{ repository: 'web/app', digest: 'sha256:nope' }] },
        status: 400,
        code: 'INVALID_DIGEST',
        message: /sha256:nope/,
      },
      {
        body: { items: [{ repository: '../etc', digest: missing }] },
        status: 400,
        code: 'INVALID_REPOSITORY_NAME',
        message: /\.\.\/etc/,
      },
      {
        body: { items: [{ repository: 'no/such', digest: missing }] },
        status: 404,
        code: 'REPOSITORY_UNKNOWN',
        message: /team-alpha\/no\/such/,
      },
      { body: { images: [] }, status: 400, code: 'INVALID_REQUEST', message: /items/ },
    ];
    for (const c of cases) {
      const res = await api().post(apiPaths.trashRestoreMany(NS)).send(c.body);
      expect(res.status, JSON.stringify(c.body).slice(0, 80)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toMatch(c.message);
    }
  });

  it('needs write permission in the namespace', async () => {
    await trashAll();
    const v = await addAccount(server, 'victor', { namespaces: { [NS]: 'viewer' } });
    const viewer = await signIn(server.url, v.username, v.password);
    await viewer.agent
      .post(apiPaths.trashRestoreMany(NS))
      .send({ items: [{ repository: 'web/app', digest: reg.v2.digest }] })
      .expect(403);
    expect((await api().get(apiPaths.trash(NS))).body.items).toHaveLength(3);
  });
});
