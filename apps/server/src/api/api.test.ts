import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';

const DAY = 86_400_000;
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

describe('reading', () => {
  it('lists namespaces with maintained counts, filtered by region', async () => {
    const res = await api().get('/api/v1/namespaces').expect(200);
    expect(res.body.items.map((n: { name: string }) => n.name)).toEqual([
      'team-alpha',
      'team-beta',
    ]);
    expect(res.body.items[0]).toMatchObject({
      repositoryCount: 2,
      imageCount: 4,
      trashCount: 0,
      region: 'local',
    });
    const eu = await api().get('/api/v1/namespaces?region=eu-west').expect(200);
    expect(eu.body.items.map((n: { name: string }) => n.name)).toEqual(['team-beta']);
    const regions = await api().get('/api/v1/regions').expect(200);
    expect(regions.body).toEqual({
      items: [
        { name: 'eu-west', namespaceCount: 1 },
        { name: 'local', namespaceCount: 1 },
      ],
      defaultRegion: 'local',
      registryHost: 'berth.test:5000',
    });
  });

  it('lists repositories and images; repository names with "/" are one encoded segment', async () => {
    const repos = await api()
      .get(apiPaths.repositories('team-alpha'))
      .query({ sort: 'imageCount' })
      .expect(200);
    expect(repos.body.items.map((r: { name: string }) => r.name)).toEqual(['web/app', 'tools']);
    const images = await api().get(apiPaths.images('team-alpha', 'web/app')).expect(200);
    expect(images.body.items.map((i: { digest: string }) => i.digest)).toEqual([
      reg.v2.digest,
      reg.v1.digest,
      reg.old.digest,
    ]);
    expect(images.body.items[0]).toMatchObject({
      tags: ['2.0', 'latest'],
      referrers: [{ digest: reg.sig.digest }],
    });
    expect(images.body.items[2].tags).toEqual([]);
    const untagged = await api()
      .get(apiPaths.images('team-alpha', 'web/app'))
      .query({ tagged: 'false' })
      .expect(200);
    expect(untagged.body.items.map((i: { digest: string }) => i.digest)).toEqual([reg.old.digest]);
    const search = await api()
      .get(apiPaths.images('team-alpha', 'web/app'))
      .query({ q: '1.' })
      .expect(200);
    expect(search.body.items.map((i: { digest: string }) => i.digest)).toEqual([reg.v1.digest]);
    const index = await api().get(apiPaths.images('team-alpha', 'tools')).expect(200);
    expect(
      index.body.items[0].platforms.map((p: { architecture: string }) => p.architecture).sort(),
    ).toEqual(['amd64', 'arm64']);
  });

  it('paginates with a cursor', async () => {
    const first = await api()
      .get(apiPaths.images('team-alpha', 'web/app'))
      .query({ limit: 2 })
      .expect(200);
    expect(first.body.items).toHaveLength(2);
    const second = await api()
      .get(apiPaths.images('team-alpha', 'web/app'))
      .query({ limit: 2, cursor: first.body.nextCursor })
      .expect(200);
    expect(second.body.items.map((i: { digest: string }) => i.digest)).toEqual([reg.old.digest]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('serves health and an OpenAPI document generated from the contract', async () => {
    await api().get('/api/v1/health').expect(200, { status: 'ok', version: '0.1.0' });
    const doc = await api().get('/api/v1/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/namespaces/{namespace}/trash/restore');
    expect(
      doc.body.paths['/api/v1/namespaces'].get.parameters.map((p: { name: string }) => p.name),
    ).toContain('limit');
  });
});

describe('deleting and restoring', () => {
  it('deletes an image to the trash and restores it by digest with its tags', async () => {
    const del = await api()
      .delete(apiPaths.image('team-alpha', 'web/app', reg.v2.digest))
      .expect(200);
    expect(del.body.trashed[0]).toMatchObject({ digest: reg.v2.digest, tags: ['2.0', 'latest'] });
    const trash = await api().get(apiPaths.trash('team-alpha')).expect(200);
    expect(trash.body.items[0]).toMatchObject({
      digest: reg.v2.digest,
      daysLeft: 30,
      reason: 'deleted',
      tags: ['2.0', 'latest'],
    });
    const restored = await api()
      .post(apiPaths.trashRestore('team-alpha'))
      .send({ repository: 'web/app', digest: reg.v2.digest })
      .expect(200);
    expect(restored.body).toEqual({
      restored: { repository: 'web/app', digest: reg.v2.digest, tags: ['2.0', 'latest'] },
      skippedTags: [],
    });
    const images = await api().get(apiPaths.images('team-alpha', 'web/app')).expect(200);
    expect(images.body.items[0]).toMatchObject({
      digest: reg.v2.digest,
      tags: ['2.0', 'latest'],
      referrers: [{ digest: reg.sig.digest }],
    });
  });

  it('a namespace reports its trash size beside its live size, alone and in the list', async () => {
    const images = await api().get(apiPaths.images('team-alpha', 'web/app')).expect(200);
    const v1Size = (images.body.items as { digest: string; sizeBytes: number }[]).find(
      (i) => i.digest === reg.v1.digest,
    )?.sizeBytes;
    expect(v1Size).toBeGreaterThan(0);
    const before = (await api().get(apiPaths.namespace('team-alpha')).expect(200)).body;
    expect(before).toMatchObject({ trashCount: 0, trashSizeBytes: 0 });

    await api()
      .delete(apiPaths.image('team-alpha', 'web/app', reg.v1.digest))
      .expect(200);
    // The image's bytes move from the live size (what the quota counts) to the trash size.
    const after = (await api().get(apiPaths.namespace('team-alpha')).expect(200)).body;
    expect(after).toMatchObject({
      trashCount: 1,
      trashSizeBytes: v1Size,
      sizeBytes: before.sizeBytes - (v1Size ?? 0),
    });
    const list = await api().get('/api/v1/namespaces').expect(200);
    expect(
      (list.body.items as { name: string; trashSizeBytes: number }[]).find(
        (n) => n.name === 'team-alpha',
      ),
    ).toMatchObject({ trashSizeBytes: v1Size });
  });

  it('untagging keeps the image', async () => {
    await api()
      .delete(apiPaths.tag('team-alpha', 'web/app', 'latest'))
      .expect(200, { repository: 'web/app', tag: 'latest', digest: reg.v2.digest });
    const images = await api().get(apiPaths.images('team-alpha', 'web/app')).expect(200);
    expect(images.body.items[0]).toMatchObject({ digest: reg.v2.digest, tags: ['2.0'] });
    expect((await api().get(apiPaths.trash('team-alpha'))).body.items).toEqual([]);
  });

  it('batch delete is one transaction and deleting a repository shows it again after a restore', async () => {
    await api()
      .post(apiPaths.imagesDelete('team-alpha'))
      .send({
        images: [
          { repository: 'web/app', digest: reg.v1.digest },
          { repository: 'tools', digest: reg.index.digest },
        ],
      })
      .expect(200);
    const del = await api().delete(apiPaths.repository('team-alpha', 'web/app')).expect(200);
    expect(del.body).toMatchObject({ images: 2, repositories: [{ name: 'web/app', images: 2 }] });
    const ns = await api().get(apiPaths.namespace('team-alpha')).expect(200);
    expect(ns.body).toMatchObject({ repositoryCount: 0, imageCount: 0, trashCount: 4 });
    await api()
      .post(apiPaths.trashRestore('team-alpha'))
      .send({ repository: 'web/app', tag: '1.0' })
      .expect(200);
    const repos = await api().get(apiPaths.repositories('team-alpha')).expect(200);
    expect(repos.body.items.map((r: { name: string }) => r.name)).toEqual(['web/app']);
  });

  it('trash entries expire after 30 days and the sweeper reclaims their unique blobs', async () => {
    const before = server.blobFiles().length;
    await api()
      .delete(apiPaths.image('team-beta', 'db', reg.beta.digest))
      .expect(200);
    server.clock.advance(30 * DAY);
    expect((await api().get(apiPaths.trash('team-beta'))).body.items).toEqual([]);
    await api()
      .post(apiPaths.trashRestore('team-beta'))
      .send({ repository: 'db', digest: reg.beta.digest })
      .expect(404);
    const swept = await server.store.trash.purgeExpired(server.clock.now);
    expect(swept.purged).toBe(1);
    // Its config and own layer go; the layer it shares with team-alpha stays.
    expect(swept.reclaimed.sort()).toEqual(
      [reg.beta.config!.digest, ...reg.beta.layers.map((l) => l.digest)]
        .filter((d) => d !== reg.sharedLayer)
        .sort(),
    );
    for (const d of swept.reclaimed) await server.blobs.delete(d);
    expect(server.blobFiles().length).toBe(before - swept.reclaimed.length);
    expect(await server.blobs.stat(reg.sharedLayer)).not.toBeNull();
  });

  it('deletes a namespace irreversibly after showing what goes', async () => {
    await api()
      .delete(apiPaths.image('team-alpha', 'web/app', reg.old.digest))
      .expect(200);
    const preview = await api().get(apiPaths.namespaceDeletionPreview('team-alpha')).expect(200);
    expect(preview.body).toMatchObject({
      namespace: 'team-alpha',
      repositories: 2,
      images: 3,
      trashItems: 1,
    });
    const del = await api().delete(apiPaths.namespace('team-alpha')).expect(200);
    expect(del.body).toMatchObject({ images: 3, trashItems: 1 });
    await api().get(apiPaths.namespace('team-alpha')).expect(404);
    expect(await server.blobs.stat(reg.v2.config!.digest)).toBeNull();
    expect(await server.blobs.stat(reg.beta.config!.digest)).not.toBeNull();
    expect(await server.blobs.stat(reg.sharedLayer)).not.toBeNull();
  });

  it('creates a namespace and refuses a duplicate', async () => {
    const res = await api()
      .post('/api/v1/namespaces')
      .send({ name: 'team-gamma', region: 'eu-west' })
      .expect(201);
    expect(res.body).toMatchObject({ name: 'team-gamma', region: 'eu-west', imageCount: 0 });
    const dup = await api()
      .post('/api/v1/namespaces')
      .send({ name: 'team-gamma', region: 'local' })
      .expect(409);
    expect(dup.body.error.code).toBe('NAMESPACE_EXISTS');
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  const digest0 = `sha256:${'0'.repeat(64)}`;
  const cases: { name: string; send: () => request.Test; status: number; code: string }[] = [
    {
      name: 'invalid namespace name',
      send: () => api().post('/api/v1/namespaces').send({ name: 'Bad Name!', region: 'local' }),
      status: 400,
      code: 'INVALID_NAMESPACE_NAME',
    },
    {
      name: 'namespace name too short',
      send: () => api().post('/api/v1/namespaces').send({ name: 'abc', region: 'local' }),
      status: 400,
      code: 'INVALID_NAMESPACE_NAME',
    },
    {
      name: 'unknown region',
      send: () => api().post('/api/v1/namespaces').send({ name: 'team-new', region: 'mars' }),
      status: 400,
      code: 'REGION_UNKNOWN',
    },
    {
      name: 'missing body fields',
      send: () => api().post('/api/v1/namespaces').send({}),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'malformed JSON',
      send: () =>
        api().post('/api/v1/namespaces').set('content-type', 'application/json').send('{"name":'),
      status: 400,
      code: 'INVALID_JSON',
    },
    {
      name: 'oversized body',
      send: () =>
        api()
          .post(apiPaths.imagesDelete('team-alpha'))
          .send({ images: [{ repository: 'x'.repeat(300_000), digest: digest0 }] }),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'too many images in a batch',
      send: () =>
        api()
          .post(apiPaths.imagesDelete('team-alpha'))
          .send({
            images: Array.from({ length: 1001 }, () => ({
              repository: 'web/app',
              digest: digest0,
            })),
          }),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'unknown namespace',
      send: () => api().delete(apiPaths.namespace('no-such-ns')),
      status: 404,
      code: 'NAMESPACE_UNKNOWN',
    },
    {
      name: 'unknown repository',
      send: () => api().delete(apiPaths.repository('team-alpha', 'nope')),
      status: 404,
      code: 'REPOSITORY_UNKNOWN',
    },
    {
      name: 'malformed digest',
      send: () => api().delete(apiPaths.image('team-alpha', 'web/app', 'sha256:xyz')),
      status: 400,
      code: 'INVALID_DIGEST',
    },
    {
      name: 'unknown digest',
      send: () => api().delete(apiPaths.image('team-alpha', 'web/app', digest0)),
      status: 404,
      code: 'IMAGE_UNKNOWN',
    },
    {
      name: 'encoded ".." in a repository name',
      send: () =>
        api().delete(`/api/v1/namespaces/team-alpha/repositories/web%2F..%2F..%2Fteam-beta`),
      status: 400,
      code: 'INVALID_REPOSITORY_NAME',
    },
    {
      name: 'encoded slash in a namespace name',
      send: () => api().delete(`/api/v1/namespaces/team-alpha%2Fweb`),
      status: 400,
      code: 'INVALID_NAMESPACE_NAME',
    },
    {
      name: 'dot-dot namespace',
      send: () => api().get(`/api/v1/namespaces/..%2F..%2Fetc/repositories`),
      status: 400,
      code: 'INVALID_NAMESPACE_NAME',
    },
    {
      name: 'page size over the limit',
      send: () => api().get('/api/v1/namespaces?limit=5000'),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'forged cursor',
      send: () => api().get(`${apiPaths.images('team-alpha', 'web/app')}?cursor=bm9wZQ`),
      status: 400,
      code: 'INVALID_CURSOR',
    },
    {
      name: 'unknown sort',
      send: () => api().get(`${apiPaths.repositories('team-alpha')}?sort=evil`),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'restore with both digest and tag',
      send: () =>
        api()
          .post(apiPaths.trashRestore('team-alpha'))
          .send({ repository: 'web/app', digest: digest0, tag: 'x' }),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'restore of something not in the trash',
      send: () =>
        api()
          .post(apiPaths.trashRestore('team-alpha'))
          .send({ repository: 'web/app', digest: reg.v2.digest }),
      status: 404,
      code: 'TRASH_ENTRY_UNKNOWN',
    },
    {
      name: 'invalid tag',
      send: () => api().delete(apiPaths.tag('team-alpha', 'web/app', '-bad')),
      status: 400,
      code: 'INVALID_TAG',
    },
    {
      name: 'unknown tag',
      send: () => api().delete(apiPaths.tag('team-alpha', 'web/app', 'nope')),
      status: 404,
      code: 'TAG_UNKNOWN',
    },
    {
      name: 'deleting an index child on its own',
      send: () =>
        api().delete(apiPaths.image('team-alpha', 'tools', reg.index.children[0]!.digest)),
      status: 409,
      code: 'IMAGE_IN_INDEX',
    },
    {
      name: 'batch with one image of another namespace',
      send: () =>
        api()
          .post(apiPaths.imagesDelete('team-alpha'))
          .send({
            images: [
              { repository: 'web/app', digest: reg.v1.digest },
              { repository: 'db', digest: reg.beta.digest },
            ],
          }),
      status: 404,
      code: 'REPOSITORY_UNKNOWN',
    },
    {
      name: 'unknown API route',
      send: () => api().get('/api/v1/nothing-here'),
      status: 404,
      code: 'ROUTE_UNKNOWN',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const before = await server.dump();
      const files = server.blobFiles();
      const res = await c.send();
      expect(res.status).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(await server.dump()).toBe(before);
      expect(server.blobFiles()).toEqual(files);
    });
  }
});

describe('a server under bad input keeps serving', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.stop();
  });
  it('answers health after a burst of garbage', async () => {
    const junk = ['%', '%E0%A4%A', '..%00', 'a'.repeat(5000)];
    for (const j of junk) {
      const res = await s.api().get(`/api/v1/namespaces/${j}/repositories`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    await request(s.url).get('/api/v1/health').expect(200);
  });
});
