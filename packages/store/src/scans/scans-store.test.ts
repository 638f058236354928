import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../postgres/connect.js';
import { createStore, type Store } from '../store.js';
import { type TestDatabase, openTestDatabase, testEngines } from '../testing/engines.js';
import { SYNTHETIC_CREATED, digestOf, syntheticImage } from '../testing/synthetic-manifests.js';
import type { NewScanResult } from './scans-store.js';

/*
 * The scan queue (durable, leased, one scanner per image) and the results (kept their time,
 * outliving the image), on both engines.
 */
const T0 = SYNTHETIC_CREATED;
const MINUTE = 60_000;
const DAY = 86_400_000;
const KEEP = 30 * DAY;

const result = (findings: NewScanResult['findings'] = []): NewScanResult => ({
  status: 'complete',
  error: null,
  distro: 'debian 12',
  critical: findings.filter((f) => f.severity === 'critical').length,
  high: findings.filter((f) => f.severity === 'high').length,
  medium: 0,
  low: 0,
  unknown: 0,
  fixable: findings.filter((f) => f.fixed !== null).length,
  inventory: { distro: null, packages: [{ name: 'openssl' }, { name: 'zlib' }] },
  findings,
});

describe.each(testEngines())('scans on %s', (engine) => {
  let database: TestDatabase;
  let store: Store;
  const ids: Record<string, number> = {};

  beforeEach(async () => {
    database = await openTestDatabase(engine);
    store = createStore(database.handle.db);
    await store.namespaces.ensureRegions(['local'], T0);
    await store.namespaces.create(
      { name: 'team', region: 'local', quotaBytes: null },
      { actor: 't', now: T0 },
    );
    for (const name of ['a', 'b', 'c']) {
      const m = syntheticImage(name, [`${name}-layer`]);
      for (const b of m.blobs) await store.registry.linkBlob('team', 'web', b, T0);
      const ingested = await store.images.ingest('team', 'web', m, [name], { actor: 't', now: T0 });
      ids[name] = ingested.manifestId;
    }
  });
  afterEach(() => database.dispose());

  it('queues each image once, and gives each claim to one process until its lease runs out', async () => {
    await store.scans.request([ids.a!, ids.b!], 'push', T0);
    await store.scans.request([ids.a!, ids.c!], 'request', T0 + 1);
    const first = await store.scans.claim('p1', T0 + 2, MINUTE, 2);
    expect(first.map((c) => [c.digest, c.namespace, c.repository, c.live])).toEqual([
      [digestOf('a'), 'team', 'web', true],
      [digestOf('b'), 'team', 'web', true],
    ]);
    expect(first[0]?.content).not.toBeNull();
    // p2 gets only what p1 did not claim; then nothing until p1's lease runs out.
    expect((await store.scans.claim('p2', T0 + 3, MINUTE, 5)).map((c) => c.digest)).toEqual([
      digestOf('c'),
    ]);
    expect(await store.scans.claim('p2', T0 + 4, MINUTE, 5)).toEqual([]);
    // p1's claims run out first (c's, taken later, has not yet).
    const retaken = await store.scans.claim('p2', T0 + 2 + MINUTE + 1, MINUTE, 5);
    expect(retaken.map((c) => c.digest)).toEqual([digestOf('a'), digestOf('b')]);
    // p1 finishing late stores nothing: the image is p2's now.
    expect(await store.scans.finish(first[0]!, 'p1', result(), T0 + 2 * MINUTE, KEEP)).toBe(false);
    expect(await store.scans.latest(ids.a!, digestOf('a'))).toBeNull();
    expect(await store.scans.finish(first[0]!, 'p2', result(), T0 + 2 * MINUTE, KEEP)).toBe(true);
    expect([...(await store.scans.queuedOf([ids.a!, ids.b!]))]).toEqual([ids.b!]);
  });

  it('takes a released image again only from the time given, counting the attempts', async () => {
    await store.scans.request([ids.a!], 'push', T0);
    const [first] = await store.scans.claim('p1', T0, MINUTE, 1);
    expect(first?.attempts).toBe(1);
    // Another process's release changes nothing; the owner's puts it back for later.
    await store.scans.release(ids.a!, 'p2', T0 + 10);
    expect(await store.scans.claim('p2', T0 + 20, MINUTE, 1)).toEqual([]);
    await store.scans.release(ids.a!, 'p1', T0 + 5 * MINUTE);
    expect(await store.scans.claim('p2', T0 + 4 * MINUTE, MINUTE, 1)).toEqual([]);
    const [again] = await store.scans.claim('p2', T0 + 5 * MINUTE + 1, MINUTE, 1);
    expect(again).toMatchObject({ digest: digestOf('a'), attempts: 2 });
  });

  it('keeps results their time, finds them newest first, and pages findings by severity', async () => {
    await store.scans.request([ids.a!], 'push', T0);
    const [scan] = await store.scans.claim('p', T0, MINUTE, 1);
    const findings = [
      {
        package: 1,
        advisoryId: 'DSA-2',
        severity: 'high',
        score: 7.5,
        fixed: '1.3',
        summary: 'zlib bug',
      },
      {
        package: 0,
        advisoryId: 'DSA-1',
        severity: 'critical',
        score: 9.8,
        fixed: null,
        summary: 'ssl bug',
      },
      {
        package: 0,
        advisoryId: 'DSA-3',
        severity: 'high',
        score: 8,
        fixed: '3.1',
        summary: 'ssl bug 2',
      },
    ];
    await store.scans.finish(scan!, 'p', result(findings), T0 + MINUTE, KEEP);
    const latest = await store.scans.latest(ids.a!, digestOf('a'));
    expect(latest).toMatchObject({
      namespace: 'team',
      repository: 'web',
      digest: digestOf('a'),
      generatedAt: T0 + MINUTE,
      expiresAt: T0 + MINUTE + KEEP,
      packages: 2,
      critical: 1,
      high: 2,
      fixable: 2,
      status: 'complete',
    });
    const all = await store.scans.findings(latest!.id, { offset: 0, limit: 10 });
    expect(all.items.map((f) => f.advisoryId)).toEqual(['DSA-1', 'DSA-2', 'DSA-3']);
    expect(all.total).toBe(3);
    expect(
      (await store.scans.findings(latest!.id, { severity: 'high', offset: 1, limit: 10 })).items,
    ).toEqual([{ ...findings[2] }]);
    expect(
      (await store.scans.findings(latest!.id, { q: 'ZLI', offset: 0, limit: 10 })).items.map(
        (f) => f.advisoryId,
      ),
    ).toEqual(['DSA-2']);

    // The result outlives the image: trashed, it is still there until its time is up.
    await store.images.trash('team', [{ repository: 'web', digest: digestOf('a') }], 'deleted', {
      actor: 't',
      now: T0 + 2 * MINUTE,
    });
    expect(await store.scans.latest(ids.a!, digestOf('a'))).not.toBeNull();
    expect(await store.scans.liveResultsGeneratedBefore(T0 + DAY, 0, 10)).toEqual([]);
    expect(await store.scans.deleteExpired(T0 + MINUTE + KEEP - 1)).toBe(0);
    expect(await store.scans.deleteExpired(T0 + MINUTE + KEEP)).toBe(1);
    expect(await store.scans.latest(ids.a!, digestOf('a'))).toBeNull();
    const left = await database.handle.db.selectFrom('scan_findings').select('result_id').execute();
    expect(left).toEqual([]);
  });

  it('lists the live images whose newest result is older than a time, for re-matching', async () => {
    for (const [name, at] of [
      ['a', T0],
      ['b', T0 + DAY],
    ] as const) {
      await store.scans.addResult(
        { manifestId: ids[name]!, namespace: 'team', repository: 'web', digest: digestOf(name) },
        result(),
        at,
        KEEP,
      );
    }
    // A newer result of a replaces the old one as a's newest.
    const due = await store.scans.liveResultsGeneratedBefore(T0 + 2 * DAY, 0, 10);
    expect(due.map((r) => [r.digest, r.generatedAt])).toEqual([
      [digestOf('a'), T0],
      [digestOf('b'), T0 + DAY],
    ]);
    await store.scans.addResult(
      { manifestId: ids.a!, namespace: 'team', repository: 'web', digest: digestOf('a') },
      result(),
      T0 + 3 * DAY,
      KEEP,
    );
    const after = await store.scans.liveResultsGeneratedBefore(T0 + 2 * DAY, 0, 10);
    expect(after.map((r) => r.digest)).toEqual([digestOf('b')]);
    expect(await store.scans.liveResultsGeneratedBefore(T0 + 2 * DAY, after[0]!.id, 10)).toEqual(
      [],
    );
  });

  it('backfills images that have no result, a window at a time, skipping artifacts and the trash', async () => {
    // d: an artifact (a signature); e: in the trash; a: scanned; b: already queued.
    const artifact = syntheticImage('d', ['d-layer'], {
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
    });
    for (const b of artifact.blobs) await store.registry.linkBlob('team', 'web', b, T0);
    await store.images.ingest('team', 'web', artifact, [], { actor: 't', now: T0 });
    const e = syntheticImage('e', ['e-layer']);
    for (const b of e.blobs) await store.registry.linkBlob('team', 'web', b, T0);
    await store.images.ingest('team', 'web', e, ['e'], { actor: 't', now: T0 });
    await store.images.trash('team', [{ repository: 'web', digest: digestOf('e') }], 'deleted', {
      actor: 't',
      now: T0,
    });
    await store.scans.request([ids.a!], 'push', T0);
    const [claimed] = await store.scans.claim('p1', T0, MINUTE, 1);
    await store.scans.finish(claimed!, 'p1', result(), T0, KEEP);
    await store.scans.request([ids.b!], 'push', T0);

    // One at a time: the call goes on after what it queued.
    const first = await store.scans.queueUnscanned(0, 500, 1, T0 + 1);
    expect(first).toEqual({ queued: 1, next: ids.c! });
    expect([...(await store.scans.queuedOf([ids.b!, ids.c!]))].sort()).toEqual(
      [ids.b!, ids.c!].sort(),
    );
    // Nothing else is due: the artifact and the trashed image are never queued.
    expect(await store.scans.queueUnscanned(first.next!, 500, 1, T0 + 1)).toEqual({
      queued: 0,
      next: null,
    });
    // A window smaller than the manifests says where to go on, even when it queued nothing.
    const windowed = await store.scans.queueUnscanned(0, 2, 5, T0 + 1);
    expect(windowed.queued).toBe(0);
    expect(windowed.next).toBe(ids.b!);
    const claimedNext = await store.scans.claim('p1', T0 + 2, MINUTE, 5);
    expect(claimedNext.map((c) => c.digest).sort()).toEqual([digestOf('b'), digestOf('c')].sort());
  });
});

describe.skipIf(!testEngines().includes('postgres'))('the scan queue across processes', () => {
  let database: TestDatabase;
  afterEach(() => database.dispose());

  it('of three processes claiming at once, each image goes to exactly one', async () => {
    database = await openTestDatabase('postgres');
    const store = createStore(database.handle.db);
    await store.namespaces.ensureRegions(['local'], T0);
    await store.namespaces.create(
      { name: 'team', region: 'local', quotaBytes: null },
      { actor: 't', now: T0 },
    );
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const m = syntheticImage(`img-${i}`, [`layer-${i}`]);
      for (const b of m.blobs) await store.registry.linkBlob('team', 'web', b, T0);
      ids.push(
        (await store.images.ingest('team', 'web', m, [], { actor: 't', now: T0 })).manifestId,
      );
    }
    await store.scans.request(ids, 'push', T0);
    const handles = await Promise.all([1, 2, 3].map(() => openPostgres(database.url!)));
    try {
      const claims = await Promise.all(
        handles.flatMap((h, p) =>
          [0, 1, 2, 3].map(() => createStore(h.db).scans.claim(`p${p}`, T0 + 1, MINUTE, 4)),
        ),
      );
      const claimed = claims.flat().map((c) => c.manifestId);
      expect(claimed.length).toBe(new Set(claimed).size);
      expect(claimed.length).toBe(30);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});
