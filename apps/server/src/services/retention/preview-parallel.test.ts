import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createStore, openSqlite, type PreviewRecord, type Store } from '@berth/store';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { seedSmallRegistry } from '../../testing/fixtures.js';
import { resultWithNoFindings } from '../../testing/scan-fixtures.js';
import { buildImage, buildLayer } from '../../seed/oci-content.js';
import { createImageIngester } from '../../seed/ingest-image.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await seedSmallRegistry(server);
});
afterEach(async () => {
  await server.stop();
});

async function everything(store: Store, p: PreviewRecord) {
  const rows = [];
  for await (const page of store.retention.previewRows('team-alpha', p.id, 3)) rows.push(...page);
  return { summary: p.summary, rules: p.rules, rows };
}

/**
 * More repositories, so the split lands between them: a/b/c... each with four images created
 * a day apart (the last the newest). Returns their digests by `<repository>-<i>`.
 */
async function seedRepositories(): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const ingester = createImageIngester(server.store, server.blobs);
  const base = buildLayer('shared-base', 2048);
  for (const repository of ['alpha', 'beta', 'gamma', 'delta', 'zeta/one']) {
    for (let i = 0; i < 4; i++) {
      const image = buildImage({
        seed: `${repository}-${i}`,
        created: new Date(Date.UTC(2026, 0, 1 + i)),
        layers: [base, buildLayer(`${repository}-${i}`, 256)],
      });
      digests.set(`${repository}-${i}`, image.digest);
      await ingester.ingest(
        'team-alpha',
        repository,
        { manifest: image, tags: i % 2 === 0 ? [`v${i}`] : [] },
        { actor: 'test', now: server.clock.now },
      );
    }
  }
  return digests;
}

it('a preview decided on one worker or split over two decides exactly what the main thread decides', async () => {
  await seedRepositories();
  const handle = await openSqlite(path.join(server.dataDir, 'berth.db'));
  try {
    const file = path.join(server.dataDir, 'berth.db');
    const serial = createStore(handle.db);
    const failures: unknown[] = [];
    const onWorkerFailure = (err: unknown) => failures.push(err);
    const oneWorker = createStore(handle.db, { file, workerMinImages: 1, onWorkerFailure });
    const parallel = createStore(handle.db, {
      file,
      workerMinImages: 1,
      parallelMinImages: 1,
      onWorkerFailure,
    });
    const rules = {
      keepCount: 1,
      retainUntagged: false,
      excludeTags: ['v2'],
      excludeRepositories: ['gamma'],
      protectUnscannedDays: null,
    };
    const ctx = { actor: 'test', now: server.clock.now };
    const one = await serial.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const two = await parallel.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const worker = await oneWorker.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const a = await everything(serial, one);
    const b = await everything(parallel, two);
    const c = await everything(oneWorker, worker);
    expect(a.rows).toHaveLength(24);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // Both were decided on workers, not on the main thread after a worker failed.
    expect(failures).toEqual([]);
    expect(a.summary.totals).toMatchObject({ images: 24, protected: 8 });
    // The layers only the deleted images use; the estimate made on workers (b) is the same.
    expect(a.summary.totals.reclaimBytes).toBeGreaterThan(0);
    // Gamma's v2 image is protected twice over: one sentence of its own.
    expect(a.summary.protections).toHaveLength(3);
  } finally {
    await handle.close();
  }
});

it('a preview whose worker fails is decided on the main thread, and the failure is reported', async () => {
  const handle = await openSqlite(path.join(server.dataDir, 'berth.db'));
  try {
    const failures: unknown[] = [];
    const store = createStore(handle.db, {
      // The worker opens this file read-only and fails; the main thread has its own connection.
      file: path.join(server.dataDir, 'no-such.db'),
      workerMinImages: 1,
      onWorkerFailure: (err) => failures.push(err),
    });
    const rules = {
      keepCount: 1,
      retainUntagged: false,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: null,
    };
    const ctx = { actor: 'test', now: server.clock.now };
    const preview = await store.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const reference = await createStore(handle.db).retention.createPreview(
      'team-alpha',
      rules,
      [],
      ctx,
      60_000,
    );
    expect((await everything(store, preview)).rows).toEqual(
      (await everything(store, reference)).rows,
    );
    expect(preview.summary.totals.images).toBeGreaterThan(0);
    // The preview's worker and the reclaim estimate's both failed; the main thread did both.
    expect(failures).toHaveLength(2);
    expect(preview.summary.totals.reclaimBytes).toBe(reference.summary.totals.reclaimBytes);
  } finally {
    await handle.close();
  }
});

it('a confirmation decided on workers skips and deletes exactly what one decided on the main thread does', async () => {
  const digests = await seedRepositories();
  const file = path.join(server.dataDir, 'berth.db');
  const copy = path.join(server.dataDir, 'copy.db');
  const first = await openSqlite(file);
  first.raw.exec(`VACUUM INTO '${copy}'`);
  const second = await openSqlite(copy);
  try {
    const failures: unknown[] = [];
    const onMain = createStore(first.db);
    const onWorkers = createStore(second.db, {
      file: copy,
      workerMinImages: 1,
      parallelMinImages: 1,
      onWorkerFailure: (err) => failures.push(err),
    });
    const rules = {
      keepCount: 1,
      retainUntagged: false,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: null,
    };
    const ctx = { actor: 'test', now: server.clock.now };
    // A project's app uses beta-1 from now on: the confirmation protects it.
    const pointers = [
      {
        repository: 'beta',
        reference: { digest: digests.get('beta-1')! },
        usedBy: 'project shop, app web',
      },
    ];
    const skipsOf = async (store: Store) => {
      const preview = await store.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
      // After the preview someone deletes alpha's newest image: alpha-2 is the one kept now.
      await store.images.trash(
        'team-alpha',
        [{ repository: 'alpha', digest: digests.get('alpha-3')! }],
        'deleted',
        ctx,
      );
      const id = await store.retention.confirm('team-alpha', preview.id, pointers, ctx, {
        owner: 'test',
        leaseMs: 60_000,
      });
      const op = await store.operations.require(id);
      const params = op.params as { skipped: { digest: string; reason: string }[] };
      return { previewed: preview.summary.totals.delete, skipped: params.skipped, total: op.total };
    };
    const main = await skipsOf(onMain);
    const workers = await skipsOf(onWorkers);
    expect(workers).toEqual(main);
    expect(failures).toEqual([]);
    // Everything previewed but the two the rules no longer delete.
    expect(main.total).toBe(main.previewed - 2);
    expect(main.skipped.map((s) => [s.digest, s.reason]).sort()).toEqual(
      [
        [digests.get('alpha-2'), 'no longer eligible: rank 1 of 1 kept'],
        [digests.get('beta-1'), 'no longer eligible: protected: used by project shop, app web'],
      ].sort(),
    );
  } finally {
    await second.close();
    await first.close();
  }
});

it('a preview that protects by scans decides on workers exactly what the main thread decides', async () => {
  const digests = await seedRepositories();
  // Every other image scanned: half of those a day ago, half 20 days ago (stale under 7 days).
  const manifests = await server.store.db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select(['m.id', 'm.digest', 'r.name'])
    .where('m.digest', 'in', [...digests.values()])
    .orderBy('m.id')
    .execute();
  for (const [k, m] of manifests.entries()) {
    if (k % 2 === 1) continue;
    await server.store.scans.addResult(
      { manifestId: Number(m.id), namespace: 'team-alpha', repository: m.name, digest: m.digest },
      resultWithNoFindings(),
      server.clock.now - (k % 4 === 0 ? 1 : 20) * 86_400_000,
      30 * 86_400_000,
    );
  }
  const file = path.join(server.dataDir, 'berth.db');
  const handle = await openSqlite(file);
  try {
    const failures: unknown[] = [];
    const serial = createStore(handle.db);
    const parallel = createStore(handle.db, {
      file,
      workerMinImages: 1,
      parallelMinImages: 1,
      onWorkerFailure: (err) => failures.push(err),
    });
    const rules = {
      keepCount: 0,
      retainUntagged: false,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: 7,
    };
    const ctx = { actor: 'test', now: server.clock.now };
    const one = await serial.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const two = await parallel.retention.createPreview('team-alpha', rules, [], ctx, 60_000);
    const a = await everything(serial, one);
    expect(await everything(parallel, two)).toEqual(a);
    expect(failures).toEqual([]);
    // Of the 20 seeded images only the 5 scanned a day ago go; the fixture's own are unscanned.
    const seeded = new Set(digests.values());
    const deleted = a.rows.filter((r) => r.decision === 'delete').map((r) => r.digest);
    expect(deleted).toHaveLength(5);
    expect(deleted.every((d) => seeded.has(d))).toBe(true);
    expect(a.summary.protections.sort()).toEqual([
      'protected: last successful scan 20 days ago',
      'protected: no successful scan',
    ]);
  } finally {
    await handle.close();
  }
});
