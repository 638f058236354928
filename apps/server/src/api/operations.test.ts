import { afterEach, describe, expect, it } from 'vitest';
import { operation as operationSchema, operationAccepted } from '@berth/contract';
import { counterMismatches } from '@berth/store';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { followOperation, seedRepository } from '../testing/operations.js';
import { pushArtifact, putManifest } from '../testing/registry-client.js';

let server: TestServer;
/** Which images get a tag, and their created times. */
const SEED = { tagged: (i: number) => i % 2 === 1 };
afterEach(async () => {
  await server?.stop();
});

async function countersMatch(s: TestServer) {
  expect(await counterMismatches(s.store.db)).toEqual([]);
}

describe('bulk deletes as operations', () => {
  it('answers 202 with the operation when the set outgrows a chunk; following it ends with the old body', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '4' } });
    await seedRepository(server, 'big/app', 30, SEED);
    const res = await server
      .api()
      .delete('/api/v1/namespaces/team/repositories/big%2Fapp')
      .expect(202);
    const { operation } = operationAccepted.parse(res.body);
    expect(res.headers.location).toBe(`/api/v1/operations/${operation.id}`);
    expect(operation).toMatchObject({
      kind: 'repository.delete',
      namespace: 'team',
      target: 'team/big/app',
      total: 30,
      actor: expect.stringMatching(/^key:admin\//),
    });
    const ended = await followOperation(server, res.headers.location as string);
    expect(ended).toMatchObject({ state: 'succeeded', done: 30, total: 30, error: null });
    expect(ended.result).toMatchObject({
      repositories: [{ name: 'big/app', images: 30 }],
      images: 30,
    });
    await countersMatch(server);
    // Its set is dropped once it ended (in pieces, after the ending transaction).
    const itemsLeft = () =>
      server.store.db
        .selectFrom('operation_items')
        .select('seq')
        .where('operation_id', '=', Number(operation.id))
        .execute();
    for (let i = 0; i < 100 && (await itemsLeft()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await itemsLeft()).toEqual([]);
    const listed = await server
      .api()
      .get('/api/v1/operations')
      .query({ namespace: 'team' })
      .expect(200);
    expect(listed.body.items.map((o: { id: string }) => o.id)).toEqual([operation.id]);
    // One audit entry, at the end, with the counts.
    const audit = await server
      .api()
      .get('/api/v1/audit')
      .query({ action: 'repository.delete' })
      .expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].details).toMatchObject({ images: 30, operationId: operation.id });
    await server.api().get('/api/v1/operations/999999').expect(404);
    await server.api().get('/api/v1/operations/not-a-number').expect(404);
  });

  it('answers the old body at once when the set fits in one chunk', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '50' } });
    await seedRepository(server, 'small', 6, SEED);
    const res = await server.api().delete('/api/v1/namespaces/team/repositories/small').expect(200);
    expect(res.body).toMatchObject({ repositories: [{ name: 'small', images: 6 }], images: 6 });
    await countersMatch(server);
  });

  it('serves pushes and pulls while a repository is deleted, and keeps an image pushed meanwhile', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '1' } });
    const digests = await seedRepository(server, 'busy', 150, SEED);
    const res = await server.api().delete('/api/v1/namespaces/team/repositories/busy').expect(202);
    // Still running when the push starts: the push lands in the middle of the delete.
    const before = operationSchema.parse(
      (await server.api().get(res.headers.location as string)).body,
    );
    expect(before.state).toBe('running');
    expect(before.done).toBeLessThan(before.total);
    // While it runs (a chunk per image, the event loop free between them): a push and pulls.
    const pushed = await pushArtifact(server, 'team/busy', 'pushed-during-delete');
    await putManifest(server, 'team/busy', 'fresh', pushed).expect(201);
    const head = await server.api().head(`/v2/team/busy/manifests/${pushed.digest}`);
    expect(head.status).toBe(200);
    for (const d of digests.slice(-3)) {
      const pull = await server.api().head(`/v2/team/busy/manifests/${d}`);
      expect([200, 404]).toContain(pull.status);
    }
    const ended = await followOperation(server, res.headers.location as string);
    expect(ended.result).toMatchObject({ images: 150 });
    // The image pushed during the delete is live and listed; the 150 are in the trash.
    const images = await server
      .api()
      .get('/api/v1/namespaces/team/repositories/busy/images')
      .expect(200);
    expect(images.body.items.map((i: { digest: string }) => i.digest)).toEqual([pushed.digest]);
    await server.api().get(`/v2/team/busy/manifests/fresh`).expect(200);
    await countersMatch(server);
  });

  it('a retention confirm that outgrows a chunk ends with the run result, and a namespace delete too', async () => {
    server = await startTestServer({ env: { BERTH_BULK_CHUNK_IMAGES: '4' } });
    await seedRepository(server, 'svc', 30, SEED);
    const preview = await server
      .api()
      .post('/api/v1/namespaces/team/retention/previews')
      .send({
        rules: { keepCount: 2, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
      })
      .expect(201);
    expect(preview.body.totals.delete).toBe(28);
    const res = await server
      .api()
      .post('/api/v1/namespaces/team/retention/runs')
      .send({ previewId: preview.body.id })
      .expect(202);
    const ended = await followOperation(server, res.headers.location as string);
    expect(ended).toMatchObject({ kind: 'retention.confirm', state: 'succeeded', total: 28 });
    expect(ended.result).toMatchObject({
      run: { status: 'succeeded', deletedImages: 28, skippedImages: 0, inTrash: 28 },
    });
    const run = await server
      .api()
      .get(
        `/api/v1/namespaces/team/retention/runs/${(ended.result as { run: { id: string } }).run.id}`,
      )
      .expect(200);
    expect(run.body).toMatchObject({ status: 'succeeded', deletedImages: 28 });
    await countersMatch(server);

    const gone = await server.api().delete('/api/v1/namespaces/team').expect(202);
    // Gone at once for pulls and pages, while its rows go in chunks.
    await server.api().get('/api/v1/namespaces/team').expect(404);
    const deleted = await followOperation(server, gone.headers.location as string);
    expect(deleted).toMatchObject({ kind: 'namespace.delete', state: 'succeeded' });
    expect(deleted.result).toMatchObject({ namespace: 'team', images: 2, trashItems: 28 });
    await countersMatch(server);
  });
});
