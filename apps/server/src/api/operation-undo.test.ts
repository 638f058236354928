import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { apiPaths } from '@berth/contract';
import {
  counterMismatches,
  openPostgres,
  openSqlite,
  startRepositoryDelete,
  startTrashRestore,
} from '@berth/store';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { followOperation, seedRepository } from '../testing/operations.js';
import { failTrashInsertsAfter } from '@berth/store/testing/fault-injection';

let server: TestServer;
/** Which images get a tag, and their created times. */
const SEED = { tagged: (i: number) => i % 3 === 0, createdApart: true };
afterEach(async () => {
  await server?.stop();
});

/** A retention preview of team keeping `keepCount` images per repository, untagged deleted. */
async function previewKeeping(
  s: TestServer,
  keepCount: number,
  excludeRepositories: string[] = [],
) {
  return s
    .api()
    .post(apiPaths.retentionPreviews('team'))
    .send({ rules: { keepCount, retainUntagged: false, excludeTags: [], excludeRepositories } })
    .expect(201);
}

/**
 * A real failure in the database: once operations have made `after` trash entries, the next
 * chunk's insert is aborted, and that chunk rolls back.
 */
async function failAfterEntries(s: TestServer, after: number) {
  // Through a connection of its own, as an operator's sqlite3 or psql shell would.
  const handle =
    s.databaseUrl !== null
      ? await openPostgres(s.databaseUrl, { poolSize: 1 })
      : await openSqlite(path.join(s.dataDir, 'berth.db'));
  try {
    await failTrashInsertsAfter(handle, after);
  } finally {
    await handle.close();
  }
}

/** What the people and the registry see: every repository's images with their tags, and the trash. */
async function visible(s: TestServer) {
  const repos = await s.api().get(apiPaths.repositories('team')).expect(200);
  const out: Record<string, unknown> = {};
  for (const r of repos.body.items as { name: string; imageCount: number; sizeBytes: number }[]) {
    const images = await s.api().get(apiPaths.images('team', r.name)).query({ limit: 100 });
    out[r.name] = {
      imageCount: r.imageCount,
      sizeBytes: r.sizeBytes,
      images: (images.body.items as { digest: string; tags: string[] }[])
        .map((i) => `${i.digest} ${[...i.tags].sort().join(',')}`)
        .sort(),
    };
  }
  const ns = (await s.api().get(apiPaths.namespace('team')).expect(200)).body;
  const trash = (await s.api().get(apiPaths.trash('team')).expect(200)).body.items;
  return { out, ns, trash };
}

describe('a bulk delete that fails part-way is undone', () => {
  it('a repository delete: what its committed chunks moved comes back, and it ends failed saying so', async () => {
    server = await startTestServer({
      env: { BERTH_BULK_CHUNK_IMAGES: '4', BERTH_BULK_CHUNK_MS: '0' },
    });
    await seedRepository(server, 'big/app', 30, SEED);
    await seedRepository(server, 'other', 3, SEED);
    const before = await visible(server);
    await failAfterEntries(server, 12);
    const res = await server
      .api()
      .delete('/api/v1/namespaces/team/repositories/big%2Fapp')
      .expect(202);
    const ended = await followOperation(server, res.headers.location as string);
    expect(ended).toMatchObject({
      kind: 'repository.delete',
      state: 'failed',
      error: { code: 'OPERATION_FAILED', message: expect.stringMatching(/injected failure/) },
      rolledBack: { images: 12, skippedTags: 0 },
    });
    expect(ended.done).toBe(12);
    expect(await visible(server)).toEqual(before);
    expect(await counterMismatches(server.store.db)).toEqual([]);
    const audit = await server
      .api()
      .get('/api/v1/audit')
      .query({ action: 'repository.delete' })
      .expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      outcome: 'failure',
      details: {
        repositories: ['big/app'],
        rolledBack: { images: 12, skippedTags: 0 },
        operationId: ended.id,
      },
    });
  });

  it('a retention confirm: the run fails and what it had deleted is back', async () => {
    server = await startTestServer({
      env: { BERTH_BULK_CHUNK_IMAGES: '4', BERTH_BULK_CHUNK_MS: '0' },
    });
    await seedRepository(server, 'svc', 30, SEED);
    const before = await visible(server);
    const preview = await previewKeeping(server, 2);
    await failAfterEntries(server, 8);
    const res = await server
      .api()
      .post(apiPaths.retentionRuns('team'))
      .send({ previewId: preview.body.id })
      .expect(202);
    const ended = await followOperation(server, res.headers.location as string);
    expect(ended).toMatchObject({
      kind: 'retention.confirm',
      state: 'failed',
      rolledBack: { images: 8, skippedTags: 0 },
    });
    expect(await visible(server)).toEqual(before);
    expect(await counterMismatches(server.store.db)).toEqual([]);
    const runs = await server.api().get(apiPaths.retentionRuns('team')).expect(200);
    expect(runs.body.items[0]).toMatchObject({ status: 'failed', inTrash: 0 });
  });
});

describe('restoring into a repository while it is being deleted', () => {
  it('is refused with REPOSITORY_BEING_DELETED naming the operation, and allowed once it has ended', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '50' } });
    const [first] = await seedRepository(server, 'app', 6, SEED);
    const others = await seedRepository(server, 'other', 2, SEED);
    // Something of "app" in the trash, deleted by hand and by a retention run.
    await server
      .api()
      .post(apiPaths.imagesDelete('team'))
      .send({ images: [{ repository: 'app', digest: first }] })
      .expect(200);
    const preview = await previewKeeping(server, 3);
    const run = await server
      .api()
      .post(apiPaths.retentionRuns('team'))
      .send({ previewId: preview.body.id })
      .expect(201);
    const runId = run.body.run.id as string;
    expect(run.body.run.deletedImages).toBeGreaterThan(0);

    // A delete of "app" that another server process is working (its set still being filled).
    const opId = await startRepositoryDelete(
      server.store.db,
      'team',
      ['app'],
      { actor: 'someone', now: server.clock.now },
      { owner: 'another-process', leaseMs: 3_600_000 },
    );
    const refused = [
      server.api().post(apiPaths.trashRestore('team')).send({ repository: 'app', digest: first }),
      server.api().post(apiPaths.trashRestore('team')).send({ repository: 'app', tag: 'v0' }),
      server
        .api()
        .post(apiPaths.trashRestoreMany('team'))
        .send({ items: [{ repository: 'app', digest: first }] }),
      server.api().post(apiPaths.trashRestoreRepository('team')).send({ repository: 'app' }),
      server.api().post(apiPaths.retentionRunRestore('team', runId)),
    ];
    for (const req of refused) {
      const res = await req;
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({
        code: 'REPOSITORY_BEING_DELETED',
        message: expect.stringContaining(`team/app while it is being deleted by operation ${opId}`),
        details: { repository: 'app', operationId: String(opId) },
      });
    }
    // Other repositories are not held up.
    await server
      .api()
      .post(apiPaths.imagesDelete('team'))
      .send({ images: [{ repository: 'other', digest: others[1] }] })
      .expect(200);
    await server
      .api()
      .post(apiPaths.trashRestore('team'))
      .send({ repository: 'other', digest: others[1] })
      .expect(200);

    // Nothing was restored into "app" while it was refused.
    const trash = await server.api().get(apiPaths.trash('team')).query({ repository: 'app' });
    expect(trash.body.items.map((t: { digest: string }) => t.digest)).toContain(first);

    // The other process ends it (here, before it deleted anything); restores go through again.
    await server.store.operations.fail(
      opId,
      'another-process',
      { code: 'X', message: 'stopped' },
      server.clock.now,
    );
    await server
      .api()
      .post(apiPaths.trashRestore('team'))
      .send({ repository: 'app', digest: first })
      .expect(200);
  });
});

describe('deleting a repository while a restore brings images back into it', () => {
  it('is refused with REPOSITORY_BEING_RESTORED naming the operation, and allowed once it has ended', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '50' } });
    const [first, second] = await seedRepository(server, 'app', 6, SEED);
    await seedRepository(server, 'other', 2, SEED);
    await server
      .api()
      .post(apiPaths.imagesDelete('team'))
      .send({
        images: [
          { repository: 'app', digest: first },
          { repository: 'app', digest: second },
        ],
      })
      .expect(200);
    // "Restore repository" of "app", which another server process is working.
    const claim = { owner: 'another-process', leaseMs: 3_600_000 };
    const { id: opId } = await startTrashRestore(
      server.store.db,
      'team',
      { repository: 'app' },
      { actor: 'someone', now: server.clock.now },
      claim,
    );
    const refused = await server.api().delete(apiPaths.repository('team', 'app')).expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'REPOSITORY_BEING_RESTORED',
      message: expect.stringContaining(`team/app cannot be deleted while operation ${opId}`),
      details: { repository: 'app', operationId: String(opId) },
    });
    // Other repositories are not held up; "app" lost nothing.
    await server.api().delete(apiPaths.repository('team', 'other')).expect(200);
    const repos = await server.api().get(apiPaths.repositories('team')).expect(200);
    expect(repos.body.items).toEqual([expect.objectContaining({ name: 'app', imageCount: 4 })]);

    await server.store.operations.fail(
      opId,
      claim.owner,
      { code: 'X', message: 'stopped' },
      server.clock.now,
    );
    await server.api().delete(apiPaths.repository('team', 'app')).expect(200);
  });

  it('a run restore with images of the repository in the trash holds its delete up too', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '50' } });
    await seedRepository(server, 'app', 6, SEED);
    await seedRepository(server, 'other', 2, SEED);
    const preview = await previewKeeping(server, 3, ['other']);
    const run = await server
      .api()
      .post(apiPaths.retentionRuns('team'))
      .send({ previewId: preview.body.id })
      .expect(201);
    const claim = { owner: 'another-process', leaseMs: 3_600_000 };
    const { id: opId } = await startTrashRestore(
      server.store.db,
      'team',
      { retentionRun: Number(run.body.run.id) },
      { actor: 'someone', now: server.clock.now },
      claim,
    );
    const refused = await server.api().delete(apiPaths.repository('team', 'app')).expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'REPOSITORY_BEING_RESTORED',
      details: { repository: 'app', operationId: String(opId) },
    });
    // The run has nothing of "other" in the trash: its delete goes ahead.
    await server.api().delete(apiPaths.repository('team', 'other')).expect(200);
    await server.store.operations.fail(
      opId,
      claim.owner,
      { code: 'X', message: 'stopped' },
      server.clock.now,
    );
    await server.api().delete(apiPaths.repository('team', 'app')).expect(200);
  });

  it('a failed repository delete being undone holds up a new delete of that repository', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '50' } });
    await seedRepository(server, 'app', 6, SEED);
    await seedRepository(server, 'other', 2, SEED);
    // A delete of "app" that another server process worked, failed, and is now undoing.
    const claim = { owner: 'another-process', leaseMs: 3_600_000 };
    const opId = await startRepositoryDelete(
      server.store.db,
      'team',
      ['app'],
      { actor: 'someone', now: server.clock.now },
      claim,
    );
    const error = { code: 'OPERATION_FAILED', message: 'the disk went away' };
    await server.store.operations.beginUndo(opId, claim.owner, error, server.clock.now, 3_600_000);
    const refused = await server.api().delete(apiPaths.repository('team', 'app')).expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'REPOSITORY_BEING_RESTORED',
      message: expect.stringContaining(
        `team/app cannot be deleted while operation ${opId} failed and is being undone`,
      ),
      details: { repository: 'app', operationId: String(opId) },
    });
    await server.api().delete(apiPaths.repository('team', 'other')).expect(200);
    await server.store.operations.fail(opId, claim.owner, error, server.clock.now);
    await server.api().delete(apiPaths.repository('team', 'app')).expect(200);
  });
});
