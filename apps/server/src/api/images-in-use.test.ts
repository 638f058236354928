import { afterEach, beforeEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { TEST_REGISTRY, createProject } from '../testing/projects.js';

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
const REPO = 'web/app';

async function addWorkload(projectId: string, kind: 'apps' | 'jobs', name: string, image: string) {
  await api().post(apiPaths.projectChildren(projectId, kind)).send({ name, image }).expect(201);
}

async function usedBy(repository: string): Promise<Record<string, string[]>> {
  const res = await api().get(apiPaths.images(NS, repository)).expect(200);
  const out: Record<string, string[]> = {};
  for (const image of res.body.items as {
    digest: string;
    usedBy: { project: string; kind: string; name: string; projectDeleted: boolean }[];
  }[]) {
    out[image.digest] = image.usedBy.map(
      (u) => `${u.project}${u.projectDeleted ? ' (deleted)' : ''}/${u.kind}/${u.name}`,
    );
  }
  return out;
}

interface Item {
  digest: string;
  repository: string;
  decision: string;
  reason: string;
}

async function preview(keepCount: number): Promise<Item[]> {
  const created = await api()
    .post(apiPaths.retentionPreviews(NS))
    .send({ rules: { keepCount, retainUntagged: false, excludeTags: [], excludeRepositories: [] } })
    .expect(201);
  const items = await api()
    .get(apiPaths.retentionPreviewItems(NS, created.body.id))
    .query({ limit: 200 })
    .expect(200);
  return items.body.items as Item[];
}

const decisionOf = (items: Item[], digest: string) => {
  const item = items.find((i) => i.digest === digest);
  return item ? `${item.decision}: ${item.reason}` : 'absent';
};

it('lists the apps and jobs that use each image, by tag, by digest, and only in this registry', async () => {
  const shop = await createProject(server, 'shop');
  const batch = await createProject(server, 'batch', 'eu-west');
  await addWorkload(shop.id, 'apps', 'web', `${TEST_REGISTRY}/${NS}/${REPO}:1.0`);
  await addWorkload(shop.id, 'jobs', 'pinned', `${TEST_REGISTRY}/${NS}/${REPO}@${reg.old.digest}`);
  await addWorkload(batch.id, 'apps', 'latest', `${TEST_REGISTRY.toUpperCase()}/${NS}/${REPO}`);
  // The same names in another registry are not this registry's images.
  await addWorkload(shop.id, 'apps', 'mirror', `registry.example.com/${NS}/${REPO}:2.0`);

  expect(await usedBy(REPO)).toEqual({
    [reg.v2.digest]: ['batch/app/latest'],
    [reg.v1.digest]: ['shop/app/web'],
    [reg.old.digest]: ['shop/job/pinned'],
  });

  // A tag pointer follows the tag: untagging 1.0 leaves the image unused.
  await api()
    .delete(apiPaths.tag(NS, REPO, '1.0'))
    .expect(200);
  expect((await usedBy(REPO))[reg.v1.digest]).toEqual([]);

  // A soft-deleted project still uses its images (it may come back); a hard-deleted one not.
  await api().delete(apiPaths.project(shop.id)).expect(200);
  expect((await usedBy(REPO))[reg.old.digest]).toEqual(['shop (deleted)/job/pinned']);
  await api().delete(apiPaths.project(shop.id)).query({ hard: 'true' }).expect(200);
  expect((await usedBy(REPO))[reg.old.digest]).toEqual([]);
});

it('makes retention keep images that projects use, naming the project, until the project is gone', async () => {
  const shop = await createProject(server, 'shop');
  await addWorkload(shop.id, 'apps', 'web', `${TEST_REGISTRY}/${NS}/${REPO}:1.0`);
  await addWorkload(shop.id, 'jobs', 'pinned', `${TEST_REGISTRY}/${NS}/${REPO}@${reg.old.digest}`);

  const items = await preview(1);
  expect(decisionOf(items, reg.v2.digest)).toBe('keep: rank 1 of 1 kept');
  expect(decisionOf(items, reg.v1.digest)).toContain('protected: used by project shop, app web');
  expect(decisionOf(items, reg.old.digest)).toContain(
    'protected: used by project shop, job pinned',
  );

  await api().delete(apiPaths.project(shop.id)).expect(200);
  const whileDeleted = await preview(1);
  expect(decisionOf(whileDeleted, reg.v1.digest)).toContain(
    'used by project shop (deleted, restorable), app web',
  );

  await api().delete(apiPaths.project(shop.id)).query({ force: 'true' }).expect(200);
  const after = await preview(1);
  expect(decisionOf(after, reg.v1.digest)).toMatch(/^delete: /);
  expect(decisionOf(after, reg.old.digest)).toMatch(/^delete: /);
});

it('protects a multi-arch index when a pointer names one of its platform images', async () => {
  const tools = await api().get(apiPaths.images(NS, 'tools')).expect(200);
  const [index] = tools.body.items as { digest: string; platforms: { digest: string }[] }[];
  const arm = index!.platforms[1]!.digest;
  const shop = await createProject(server, 'shop');
  await addWorkload(shop.id, 'apps', 'arm', `${TEST_REGISTRY}/${NS}/tools@${arm}`);

  expect((await usedBy('tools'))[index!.digest]).toEqual(['shop/app/arm']);
  expect(decisionOf(await preview(0), index!.digest)).toContain(
    'protected: used by project shop, app arm',
  );
});
