import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, trashSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
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

const trashAll = () => trashSmallRegistry(server, reg);

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

type Repo = { name: string; imageCount: number; sizeBytes: number };
const listed = async (): Promise<Repo[]> =>
  (await api().get(apiPaths.repositories(NS)).expect(200)).body.items;

/** An operation, read from the store until it has ended. */
async function ended(id: string) {
  for (let i = 0; i < 200; i++) {
    const op = await server.store.operations.get(Number(id));
    if (op && op.state !== 'running') return op;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`operation ${id} did not end`);
}

describe('restoring a deleted repository', () => {
  it('brings it back in the listing with its images, size and tags; one audit entry', async () => {
    const before = (await listed()).find((r) => r.name === 'web/app');
    await api().delete(apiPaths.repository(NS, 'web/app')).expect(200);
    expect((await listed()).map((r) => r.name)).toEqual(['tools']);
    const res = await api()
      .post(apiPaths.trashRestoreRepository(NS))
      .send({ repository: 'web/app' })
      .expect(200);
    expect(res.body).toMatchObject({ restored: 3, skippedTagCount: 0, skippedTags: [] });
    expect((await listed()).find((r) => r.name === 'web/app')).toEqual(before);
    const images = await api().get(apiPaths.images(NS, 'web/app')).expect(200);
    expect(images.body.items.map((i: { tags: string[] }) => i.tags)).toEqual([
      ['2.0', 'latest'],
      ['1.0'],
      [],
    ]);
    expect(await restoreAudits()).toEqual([
      expect.objectContaining({
        action: 'repository.restore',
        target: `${NS}/web/app`,
        outcome: 'success',
        details: expect.stringContaining('"restored":3'),
      }),
    ]);
  });

  it('refuses bad input and a repository with nothing in the trash', async () => {
    const cases: { body: object; status: number; code: string; message: RegExp }[] = [
      { body: {}, status: 400, code: 'INVALID_REQUEST', message: /repository/ },
      { body: { repository: '' }, status: 400, code: 'INVALID_REQUEST', message: /repository/ },
      {
        body: { repository: 'Web/App!' },
        status: 400,
        code: 'INVALID_REPOSITORY_NAME',
        message: /Web\/App!/,
      },
      {
        body: { repository: 'no/such' },
        status: 404,
        code: 'REPOSITORY_UNKNOWN',
        message: /team-alpha\/no\/such/,
      },
      {
        body: { repository: 'web/app' },
        status: 404,
        code: 'TRASH_ENTRY_UNKNOWN',
        message: /holds nothing to restore/,
      },
    ];
    for (const c of cases) {
      const res = await api().post(apiPaths.trashRestoreRepository(NS)).send(c.body);
      expect(res.status, JSON.stringify(c.body)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toMatch(c.message);
    }
  });
});

describe('restores larger than one chunk', () => {
  beforeEach(async () => {
    await server.stop();
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '1' } });
    reg = await seedSmallRegistry(server);
  });

  it('a repository restore is answered 202 with the operation, which ends with the same body', async () => {
    const before = (await listed()).find((r) => r.name === 'web/app');
    // With one image per chunk, the delete is an operation of its own too.
    const deleted = await api().delete(apiPaths.repository(NS, 'web/app')).expect(202);
    expect(await ended(deleted.body.operation.id)).toMatchObject({ state: 'succeeded' });
    const res = await api()
      .post(apiPaths.trashRestoreRepository(NS))
      .send({ repository: 'web/app' })
      .expect(202);
    expect(res.headers.location).toBe(`/api/v1/operations/${res.body.operation.id}`);
    expect(res.body.operation).toMatchObject({
      kind: 'trash.restore',
      namespace: NS,
      target: `${NS}/web/app`,
      total: 3,
    });
    const op = await ended(res.body.operation.id);
    expect(op).toMatchObject({ state: 'succeeded', done: 3, total: 3 });
    expect(op.result).toMatchObject({ restored: 3, skippedTagCount: 0 });
    expect((await listed()).find((r) => r.name === 'web/app')).toEqual(before);
    expect((await restoreAudits()).map((a) => a.action)).toEqual(['repository.restore']);
  });

  it('a retention run restore too, newest deletion first', async () => {
    const keepOne = {
      keepCount: 1,
      retainUntagged: false,
      excludeTags: [],
      excludeRepositories: [],
    };
    const preview = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    // With one image per chunk, the confirm is an operation of its own.
    const confirm = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: preview.body.id })
      .expect(202);
    const confirmed = await ended(confirm.body.operation.id);
    const runId = (confirmed.result as { run: { id: string } }).run.id;
    const res = await api().post(apiPaths.retentionRunRestore(NS, runId)).expect(202);
    expect(res.body.operation).toMatchObject({ kind: 'retention.run.restore', total: 2 });
    const op = await ended(res.body.operation.id);
    expect(op.result).toEqual({ runId, restored: 2, notInTrash: 0, skippedTags: [] });
    const again = await api().post(apiPaths.retentionRunRestore(NS, runId)).expect(409);
    expect(again.body.error.code).toBe('RUN_NOT_IN_TRASH');
    const audits = await server.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'retention.run.restore')
      .execute();
    expect(audits).toHaveLength(1);
  });
});
