import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { buildImage, buildLayer } from '../seed/oci-content.js';
import { createImageIngester } from '../seed/ingest-image.js';

const MINUTE = 60_000;
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
const NS = 'team-alpha';
const keepOne = { keepCount: 1, retainUntagged: false, excludeTags: [], excludeRepositories: [] };

interface Item {
  repository: string;
  digest: string;
  decision: string;
  reason: string;
  rank: number | null;
  state: string;
  tags: string[];
}

async function allItems(previewId: string, query: Record<string, string> = {}): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const res = await api()
      .get(apiPaths.retentionPreviewItems(NS, previewId))
      .query({ ...query, limit: 2, ...(cursor ? { cursor } : {}) })
      .expect(200);
    out.push(...(res.body.items as Item[]));
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Every table except the stored previews, which a preview is allowed (and meant) to add. */
async function dumpWithoutPreviews(): Promise<string> {
  const parsed = JSON.parse(await server.dump()) as Record<string, unknown>;
  delete parsed.retention_previews;
  return JSON.stringify(parsed);
}

async function previewRows() {
  return server.store.db.selectFrom('retention_previews').select(['id', 'run_id']).execute();
}

async function liveDigests(repository: string): Promise<string[]> {
  const res = await api().get(apiPaths.images(NS, repository)).expect(200);
  return (res.body.items as { digest: string }[]).map((i) => i.digest).sort();
}

async function auditActions(): Promise<{ action: string; actor: string; outcome: string }[]> {
  return server.store.db
    .selectFrom('audit_events')
    .select(['action', 'actor', 'outcome'])
    .where('action', 'like', 'retention.%')
    .orderBy('id')
    .execute();
}

describe('retention policy', () => {
  it('shows the defaults until saved, then the saved policy with its next run', async () => {
    const first = await api().get(apiPaths.retentionPolicy(NS)).expect(200);
    expect(first.body).toMatchObject({ saved: false, enabled: false, nextRunAt: null });
    const body = { ...keepOne, excludeTags: ['latest', 'v*'], enabled: true, dailyAt: '03:30' };
    const saved = await api().put(apiPaths.retentionPolicy(NS)).send(body).expect(200);
    // The test clock is 2026-11-01T12:00Z: 03:30 has passed today, so the next run is tomorrow.
    expect(saved.body).toMatchObject({
      ...body,
      saved: true,
      nextRunAt: '2026-11-02T03:30:00.000Z',
      updatedBy: expect.stringMatching(/^key:admin\/tests-/),
    });
    const again = await api().get(apiPaths.retentionPolicy(NS)).expect(200);
    expect(again.body).toEqual(saved.body);
    expect(await auditActions()).toEqual([
      {
        action: 'retention.policy.update',
        actor: expect.stringMatching(/^key:admin\/tests-/),
        outcome: 'success',
      },
    ]);
  });

  it('refuses bad policies with a clear error and changes nothing', async () => {
    const valid = { ...keepOne, enabled: true, dailyAt: '03:30' };
    const before = await server.dump();
    const cases: [unknown, string][] = [
      [{ ...valid, keepCount: -1 }, 'INVALID_REQUEST'],
      [{ ...valid, keepCount: 10_001 }, 'INVALID_REQUEST'],
      [{ ...valid, keepCount: 1.5 }, 'INVALID_REQUEST'],
      [{ ...valid, keepCount: '3' }, 'INVALID_REQUEST'],
      [{ ...valid, dailyAt: '25:00' }, 'INVALID_DAILY_TIME'],
      [{ ...valid, dailyAt: '7:30' }, 'INVALID_DAILY_TIME'],
      [{ ...valid, excludeTags: ['[abc]'] }, 'INVALID_PATTERN'],
      [{ ...valid, excludeRepositories: ['a b'] }, 'INVALID_PATTERN'],
      [{ ...valid, excludeTags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'INVALID_REQUEST'],
      [{ ...valid, surprise: true }, 'INVALID_REQUEST'],
      [{ keepCount: 3 }, 'INVALID_REQUEST'],
      [[1, 2], 'INVALID_REQUEST'],
    ];
    for (const [body, code] of cases) {
      const res = await api()
        .put(apiPaths.retentionPolicy(NS))
        .send(body as object);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    }
    const unknown = await api().put(apiPaths.retentionPolicy('no-such-ns')).send(valid).expect(404);
    expect(unknown.body.error.code).toBe('NAMESPACE_UNKNOWN');
    await api().put(apiPaths.retentionPolicy('BAD NAME')).send(valid).expect(400);
    expect(await server.dump()).toBe(before);
  });
});

describe('retention preview', () => {
  it('decides every image with its reason and changes nothing but adding itself', async () => {
    const before = await dumpWithoutPreviews();
    const files = server.blobFiles();
    const res = await api()
      .post(apiPaths.retentionPreviews(NS))
      .send({ rules: keepOne })
      .expect(201);
    const preview = res.body;
    // The database is the same except for the one stored preview, and no blob moved.
    expect(await dumpWithoutPreviews()).toBe(before);
    expect(await previewRows()).toEqual([{ id: preview.id, run_id: null }]);
    expect(server.blobFiles()).toEqual(files);

    expect(preview.totals).toMatchObject({ images: 4, keep: 2, protected: 0, delete: 2 });
    // web/app: v2 is kept (rank 1), v1 and old go; tools: the index is kept. The signature
    // and the index's platform images are not images of their own.
    const items = await allItems(preview.id);
    expect(items.map((i) => [i.repository, i.digest, i.decision, i.rank])).toEqual([
      ['tools', reg.index.digest, 'keep', 1],
      ['web/app', reg.v2.digest, 'keep', 1],
      ['web/app', reg.v1.digest, 'delete', 2],
      ['web/app', reg.old.digest, 'delete', 3],
    ]);
    expect(items[2]?.reason).toBe('rank 2, beyond the 1 kept');
    expect(items[1]?.reason).toBe('rank 1 of 1 kept');
    expect(items.every((i) => i.state === 'unchanged')).toBe(true);
    // Sizes: deleting v1 and old frees their own layers and configs, not the base layer v2 uses.
    const own = (m: typeof reg.v1) =>
      (m.config?.bytes.length ?? 0) +
      m.layers.filter((l) => l.digest !== reg.sharedLayer).reduce((s, l) => s + l.bytes.length, 0);
    expect(preview.totals.reclaimBytes).toBe(own(reg.v1) + own(reg.old));
    expect(preview.totals).toMatchObject({ repositories: 2, repositoriesWithDeletes: 1 });
    const repositories = await api()
      .get(apiPaths.retentionPreviewRepositories(NS, preview.id))
      .expect(200);
    // Most deletions first: web/app loses two, tools none.
    expect(repositories.body).toMatchObject({
      total: 2,
      items: [
        { name: 'web/app', images: 3, keep: 1, protected: 0, delete: 2 },
        { name: 'tools', images: 1, keep: 1, protected: 0, delete: 0, deleteBytes: 0 },
      ],
    });
    expect(preview.totals.deleteBytes).toBe(repositories.body.items[0].deleteBytes);
  });

  it('pages its repositories, most deletions first, and finds them by part of a name', async () => {
    // Five more repositories, losing 3, 2, 2, 1 and 0 images with keep 1.
    const ingester = createImageIngester(server.store, server.blobs);
    const losing: [string, number][] = [
      ['svc/c', 3],
      ['svc/b', 2],
      ['svc/a', 2],
      ['ops/x', 1],
      ['ops/y', 0],
    ];
    for (const [repository, deletes] of losing) {
      for (let i = 0; i <= deletes; i++) {
        const image = buildImage({
          seed: `${repository}-${i}`,
          created: new Date(server.clock.now - (i + 1) * MINUTE),
          layers: [buildLayer(`${repository}-${i}`, 32)],
        });
        await ingester.ingest(
          NS,
          repository,
          { manifest: image, tags: [`v${i}`] },
          { actor: 'test', now: server.clock.now },
        );
      }
    }
    const preview = (
      await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne }).expect(201)
    ).body;
    // The summary no longer carries the list; it says how many lose images.
    expect(preview).not.toHaveProperty('repositories');
    expect(preview.totals).toMatchObject({ repositories: 7, repositoriesWithDeletes: 5 });
    const page = async (query: Record<string, string | number>) =>
      (
        await api()
          .get(apiPaths.retentionPreviewRepositories(NS, preview.id))
          .query(query)
          .expect(200)
      ).body as { items: { name: string; delete: number }[]; total: number };
    const names = (p: { items: { name: string }[] }) => p.items.map((r) => r.name);
    // Ties (svc/a and svc/b lose 2 each, as does web/app) by name.
    expect(names(await page({}))).toEqual([
      'svc/c',
      'svc/a',
      'svc/b',
      'web/app',
      'ops/x',
      'ops/y',
      'tools',
    ]);
    expect(await page({ offset: 2, limit: 3 })).toMatchObject({ total: 7 });
    expect(names(await page({ offset: 2, limit: 3 }))).toEqual(['svc/b', 'web/app', 'ops/x']);
    expect(await page({ offset: 7 })).toEqual({ items: [], total: 7 });
    // Part of a name, any case; total counts the matches.
    const svc = await page({ q: 'SVC/', limit: 2 });
    expect(svc.total).toBe(3);
    expect(names(svc)).toEqual(['svc/c', 'svc/a']);
    expect(names(await page({ q: 'svc/', offset: 2 }))).toEqual(['svc/b']);
    expect(await page({ q: 'nothing-like-it' })).toEqual({ items: [], total: 0 });
    // The same list from a second read: the same preview is the same pages.
    expect(await page({})).toEqual(await page({}));

    for (const query of [
      { offset: -1 },
      { offset: 'one' },
      { offset: 1.5 },
      { limit: 0 },
      { limit: 201 },
      { q: 'x'.repeat(256) },
    ]) {
      const res = await api()
        .get(apiPaths.retentionPreviewRepositories(NS, preview.id))
        .query(query)
        .expect(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    // A preview belongs to its namespace.
    const elsewhere = await api()
      .get(apiPaths.retentionPreviewRepositories('team-beta', preview.id))
      .expect(404);
    expect(elsewhere.body.error.code).toBe('PREVIEW_UNKNOWN');
  });

  it('lists protected and untagged-retained images with the reason', async () => {
    const res = await api()
      .post(apiPaths.retentionPreviews(NS))
      .send({
        rules: {
          keepCount: 0,
          retainUntagged: true,
          excludeTags: ['1.*'],
          excludeRepositories: ['too?s'],
        },
      })
      .expect(201);
    const items = await allItems(res.body.id);
    const byDigest = new Map(items.map((i) => [i.digest, i]));
    expect(byDigest.get(reg.index.digest)).toMatchObject({
      decision: 'protected',
      reason: 'protected: repository matches the protected pattern "too?s"',
    });
    expect(byDigest.get(reg.v1.digest)).toMatchObject({
      decision: 'protected',
      reason: 'protected: tag "1.0" matches the protected pattern "1.*"',
      rank: 2,
    });
    expect(byDigest.get(reg.old.digest)).toMatchObject({
      decision: 'keep',
      reason: 'untagged, retained by the policy',
      rank: null,
    });
    expect(byDigest.get(reg.v2.digest)).toMatchObject({ decision: 'delete', rank: 1 });
    expect(res.body.totals).toMatchObject({ protected: 2, keep: 1, delete: 1 });
    const deletes = await allItems(res.body.id, { decision: 'delete' });
    expect(deletes.map((i) => i.digest)).toEqual([reg.v2.digest]);
    const tools = await allItems(res.body.id, { repository: 'tools' });
    expect(tools.map((i) => i.digest)).toEqual([reg.index.digest]);
  });

  it('uses the saved policy when no rules are given', async () => {
    await api()
      .put(apiPaths.retentionPolicy(NS))
      .send({ ...keepOne, keepCount: 2, enabled: false, dailyAt: '01:00' })
      .expect(200);
    const res = await api().post(apiPaths.retentionPreviews(NS)).send({}).expect(201);
    expect(res.body.rules.keepCount).toBe(2);
    expect(res.body.totals.delete).toBe(1);
  });

  it('downloads as CSV, with formula-looking cells neutralised', async () => {
    const created = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    const res = await api().get(apiPaths.retentionPreviewCsv(NS, created.body.id)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="?retention-preview-team-alpha-[0-9a-f]{8}\.csv"?$/,
    );
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'repository,digest,tags,created,pushed,size_bytes,decision,rank,reason,state',
    );
    expect(lines).toHaveLength(5);
    expect(lines.find((l) => l.includes(reg.v2.digest))).toMatch(
      /^web\/app,sha256:[0-9a-f]{64},2\.0 latest,[^,]+,[^,]+,\d+,keep,1,rank 1 of 1 kept,unchanged$/,
    );
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const before = await server.dump();
    const bad: [string, unknown, number, string][] = [
      [NS, { rules: { ...keepOne, keepCount: -3 } }, 400, 'INVALID_REQUEST'],
      [NS, { rules: { ...keepOne, excludeTags: ['no spaces'] } }, 400, 'INVALID_PATTERN'],
      [NS, { rules: keepOne, extra: 1 }, 400, 'INVALID_REQUEST'],
      [NS, 'not json at all', 400, 'INVALID_REQUEST'],
      ['no-such-ns', { rules: keepOne }, 404, 'NAMESPACE_UNKNOWN'],
    ];
    for (const [ns, body, status, code] of bad) {
      const req = api().post(apiPaths.retentionPreviews(ns));
      const res =
        typeof body === 'string'
          ? await req.set('Content-Type', 'application/json').send(body)
          : await req.send(body as object);
      expect(res.status).toBe(status);
      if (typeof body !== 'string') expect(res.body.error.code).toBe(code);
    }
    const id = randomUUID();
    for (const path of [
      apiPaths.retentionPreview(NS, id),
      apiPaths.retentionPreviewItems(NS, id),
      apiPaths.retentionPreviewRepositories(NS, id),
      apiPaths.retentionPreviewCsv(NS, id),
      apiPaths.retentionPreview(NS, 'not-a-uuid'),
    ]) {
      const res = await api().get(path).expect(404);
      expect(res.body.error.code).toBe('PREVIEW_UNKNOWN');
    }
    expect(await server.dump()).toBe(before);
    const created = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    await api()
      .get(apiPaths.retentionPreviewItems(NS, created.body.id))
      .query({ cursor: 'bm9wZQ' })
      .expect(400);
    await api()
      .get(apiPaths.retentionPreviewItems(NS, created.body.id))
      .query({ decision: 'maybe' })
      .expect(400);
    // A preview belongs to its namespace.
    await api().get(apiPaths.retentionPreview('team-beta', created.body.id)).expect(404);
  });
});

describe('confirming a preview', () => {
  it('moves exactly the previewed, unchanged deletions to the trash as one run', async () => {
    const preview = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    // After the preview: a newer image is pushed, and "old" gets a tag.
    const ingester = createImageIngester(server.store, server.blobs);
    const newer = buildImage({
      seed: 'newer',
      created: new Date(server.clock.now),
      layers: [buildLayer('newer', 512)],
    });
    await ingester.ingest(
      NS,
      'web/app',
      { manifest: newer, tags: ['3.0'] },
      { actor: 'test', now: server.clock.now },
    );
    await ingester.ingest(
      NS,
      'web/app',
      { manifest: reg.old, tags: ['revived'] },
      { actor: 'test', now: server.clock.now },
    );
    const changed = await allItems(preview.body.id, { decision: 'delete' });
    expect(changed.map((i) => [i.digest, i.state])).toEqual([
      [reg.v1.digest, 'unchanged'],
      [reg.old.digest, 'changed'],
    ]);

    const res = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: preview.body.id })
      .expect(201);
    expect(res.body.deleted.map((d: { digest: string }) => d.digest)).toEqual([reg.v1.digest]);
    expect(res.body.skipped).toEqual([
      expect.objectContaining({
        digest: reg.old.digest,
        tags: ['revived'],
        reason: 'pushed, retagged or restored after the preview',
      }),
    ]);
    expect(res.body.run).toMatchObject({
      trigger: 'preview',
      actor: expect.stringMatching(/^key:admin\/tests-/),
      previewId: preview.body.id,
      status: 'succeeded',
      deletedImages: 1,
      skippedImages: 1,
      inTrash: 1,
    });
    // The new image is not deleted, although the rules would now delete v2 too: it was not
    // in the preview.
    expect(await liveDigests('web/app')).toEqual(
      [newer.digest, reg.old.digest, reg.v2.digest].sort(),
    );
    const trash = await api().get(apiPaths.trash(NS)).expect(200);
    expect(trash.body.items).toEqual([
      expect.objectContaining({
        digest: reg.v1.digest,
        reason: 'retention',
        tags: ['1.0'],
        retentionRunId: res.body.run.id,
      }),
    ]);
    expect(await auditActions()).toEqual([
      {
        action: 'retention.run',
        actor: expect.stringMatching(/^key:admin\/tests-/),
        outcome: 'success',
      },
    ]);
  });

  it('skips a previewed image that the rules no longer delete, and its referrers go with deleted ones', async () => {
    const preview = await api()
      .post(apiPaths.retentionPreviews(NS))
      .send({ rules: { ...keepOne, keepCount: 0 } })
      .expect(201);
    // After the preview a person deletes v1; v2 (signed) stays eligible.
    await api()
      .delete(apiPaths.image(NS, 'web/app', reg.v1.digest))
      .expect(200);
    const res = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: preview.body.id })
      .expect(201);
    const skipped = new Map(
      (res.body.skipped as { digest: string; reason: string }[]).map((s) => [s.digest, s.reason]),
    );
    expect(skipped.get(reg.v1.digest)).toBe(
      'no longer live: deleted or moved to the trash after the preview',
    );
    expect(res.body.deleted.map((d: { digest: string }) => d.digest).sort()).toEqual(
      [reg.index.digest, reg.old.digest, reg.v2.digest].sort(),
    );
    // The signature of v2 went with it and comes back with it.
    const sig = await server.store.db
      .selectFrom('manifests')
      .select('state')
      .where('digest', '=', reg.sig.digest)
      .executeTakeFirstOrThrow();
    expect(sig.state).toBe('trashed');
  });

  it('refuses stale, unknown and already-confirmed previews, changing nothing', async () => {
    const preview = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    server.clock.advance(61 * MINUTE);
    const before = await server.dump();
    const stale = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: preview.body.id })
      .expect(409);
    expect(stale.body.error).toMatchObject({ code: 'PREVIEW_EXPIRED' });
    expect(stale.body.error.message).toMatch(/make a new preview/);
    const unknown = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: randomUUID() })
      .expect(404);
    expect(unknown.body.error.code).toBe('PREVIEW_UNKNOWN');
    await api().post(apiPaths.retentionRuns(NS)).send({}).expect(400);
    await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: 'x'.repeat(65) })
      .expect(400);
    await api()
      .post(apiPaths.retentionRuns('team-beta'))
      .send({ previewId: preview.body.id })
      .expect(404);
    expect(await server.dump()).toBe(before);

    const fresh = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    await api().post(apiPaths.retentionRuns(NS)).send({ previewId: fresh.body.id }).expect(201);
    const afterRun = await server.dump();
    const twice = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: fresh.body.id })
      .expect(409);
    expect(twice.body.error.code).toBe('PREVIEW_ALREADY_CONFIRMED');
    expect(await server.dump()).toBe(afterRun);
  });
});

describe('runs history', () => {
  it('lists runs and restores everything a run deleted in one action', async () => {
    const preview = await api().post(apiPaths.retentionPreviews(NS)).send({ rules: keepOne });
    const run = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: preview.body.id })
      .expect(201);
    const runId = run.body.run.id as string;
    const list = await api().get(apiPaths.retentionRuns(NS)).expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: runId, deletedImages: 2, inTrash: 2 }),
    ]);
    const filtered = await api().get(apiPaths.trash(NS)).query({ retentionRun: runId }).expect(200);
    expect(filtered.body.items).toHaveLength(2);

    // Someone takes tag 1.0 for another image meanwhile: it cannot come back with v1.
    const ingester = createImageIngester(server.store, server.blobs);
    const other = buildImage({
      seed: 'other',
      created: new Date(0),
      layers: [buildLayer('o', 64)],
    });
    await ingester.ingest(
      NS,
      'web/app',
      { manifest: other, tags: ['1.0'] },
      { actor: 'test', now: server.clock.now },
    );

    const restored = await api().post(apiPaths.retentionRunRestore(NS, runId)).expect(200);
    expect(restored.body).toMatchObject({ runId, restored: 2, notInTrash: 0 });
    expect(restored.body.skippedTags).toEqual([
      expect.objectContaining({ digest: reg.v1.digest, tag: '1.0', heldBy: other.digest }),
    ]);
    expect(await liveDigests('web/app')).toEqual(
      [other.digest, reg.old.digest, reg.v1.digest, reg.v2.digest].sort(),
    );
    const runAfter = await api().get(apiPaths.retentionRun(NS, runId)).expect(200);
    expect(runAfter.body.inTrash).toBe(0);
    const again = await api().post(apiPaths.retentionRunRestore(NS, runId)).expect(409);
    expect(again.body.error.code).toBe('RUN_NOT_IN_TRASH');
    await api().post(apiPaths.retentionRunRestore(NS, '999')).expect(404);
    await api().post(apiPaths.retentionRunRestore(NS, 'abc')).expect(404);
    await api().post(apiPaths.retentionRunRestore('team-beta', runId)).expect(404);
    expect((await auditActions()).map((a) => a.action)).toEqual([
      'retention.run',
      'retention.run.restore',
    ]);
  });
});

describe('scheduled policy', () => {
  it('runs once when its daily time comes, as the policy', async () => {
    await server.stop();
    server = await startTestServer({ env: { BERTH_SCHEDULER_INTERVAL_MS: '50' } });
    reg = await seedSmallRegistry(server);
    await api()
      .put(apiPaths.retentionPolicy(NS))
      .send({ ...keepOne, enabled: true, dailyAt: '12:30' })
      .expect(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await api().get(apiPaths.retentionRuns(NS))).body.items).toEqual([]);
    server.clock.advance(31 * MINUTE);
    let runs: { actor: string; trigger: string; deletedImages: number; scheduledFor: string }[] =
      [];
    for (let i = 0; i < 100 && runs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      runs = (await api().get(apiPaths.retentionRuns(NS))).body.items;
    }
    await new Promise((r) => setTimeout(r, 300));
    runs = (await api().get(apiPaths.retentionRuns(NS))).body.items;
    expect(runs).toEqual([
      expect.objectContaining({
        actor: 'policy:team-alpha',
        trigger: 'schedule',
        deletedImages: 2,
        scheduledFor: '2026-11-01T12:30:00.000Z',
      }),
    ]);
    const trash = await api().get(apiPaths.trash(NS)).expect(200);
    expect(trash.body.items.map((t: { actor: string }) => t.actor)).toEqual([
      'policy:team-alpha',
      'policy:team-alpha',
    ]);
    const policy = await api().get(apiPaths.retentionPolicy(NS)).expect(200);
    expect(policy.body.nextRunAt).toBe('2026-11-02T12:30:00.000Z');
    // The next day it runs again; nothing is left to delete.
    server.clock.advance(DAY);
    for (let i = 0; i < 100 && runs.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      runs = (await api().get(apiPaths.retentionRuns(NS))).body.items;
    }
    expect(runs.map((r) => r.deletedImages)).toEqual([0, 2]);
  });
});
