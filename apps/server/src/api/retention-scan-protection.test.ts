import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import {
  type BuiltManifest,
  MEDIA_TYPES,
  buildImage,
  buildIndex,
  buildLayer,
  sha256Digest,
} from '../seed/oci-content.js';
import { createImageIngester } from '../seed/ingest-image.js';
import { seedSmallRegistry, type SmallRegistry } from '../testing/fixtures.js';
import { resultWithNoFindings } from '../testing/scan-fixtures.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Issue 17: retention may protect images whose newest successful scan is missing or older than
 * N days. Real pushes (the ingester), real scan results stored as the scanner stores them, and
 * the real API; BERTH_TEST_ENGINE=postgres runs the same on PostgreSQL.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NS = 'team-alpha';
const keepNone = {
  keepCount: 0,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
};

let server: TestServer;
let reg: SmallRegistry;
const api = () => server.api();

beforeEach(async () => {
  server = await startTestServer();
  reg = await seedSmallRegistry(server);
});
afterEach(async () => {
  await server.stop();
});

/** A scan result of `digest` in `repository`, stored as the scanner stores one, `ago` ms ago. */
async function scanned(
  repository: string,
  digest: string,
  ago: number,
  status: 'complete' | 'failed' = 'complete',
) {
  const row = await server.store.db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select('m.id')
    .where('r.name', '=', repository)
    .where('m.digest', '=', digest)
    .executeTakeFirstOrThrow();
  await server.store.scans.addResult(
    { manifestId: Number(row.id), namespace: NS, repository, digest },
    resultWithNoFindings(status),
    server.clock.now - ago,
    30 * DAY,
  );
}

/** Every item of a preview: digest → decision and reason. */
async function decisionsOf(previewId: string): Promise<Map<string, [string, string]>> {
  const out = new Map<string, [string, string]>();
  let cursor: string | undefined;
  do {
    const res = await api()
      .get(apiPaths.retentionPreviewItems(NS, previewId))
      .query({ limit: 100, ...(cursor ? { cursor } : {}) })
      .expect(200);
    for (const i of res.body.items as { digest: string; decision: string; reason: string }[]) {
      out.set(i.digest, [i.decision, i.reason]);
    }
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

async function preview(rules: object) {
  return (await api().post(apiPaths.retentionPreviews(NS)).send({ rules }).expect(201)).body as {
    id: string;
    rules: Record<string, unknown>;
    totals: { protected: number; delete: number; keep: number };
  };
}

/** The index's two platform images (amd64, arm64). */
const platforms = () => reg.index.children as [BuiltManifest, BuiltManifest];

describe('retention that protects images by their scans', () => {
  it('protects the never scanned, the failed and the stale, and not the recently scanned', async () => {
    const ingester = createImageIngester(server.store, server.blobs);
    const never = buildImage({
      seed: 'never',
      created: new Date(server.clock.now - 2 * DAY),
      layers: [buildLayer('never', 256)],
    });
    await ingester.ingest(
      NS,
      'web/app',
      { manifest: never, tags: ['never'] },
      { actor: 'test', now: server.clock.now },
    );
    // v2: scanned an hour ago. v1: last scanned successfully 10 days ago; a newer scan failed,
    // which does not count. old: only a failed scan. never: nothing at all.
    await scanned('web/app', reg.v2.digest, HOUR);
    await scanned('web/app', reg.v1.digest, 10 * DAY + HOUR);
    await scanned('web/app', reg.v1.digest, DAY, 'failed');
    await scanned('web/app', reg.old.digest, 2 * DAY, 'failed');
    // The index: one platform scanned yesterday, the other never.
    const [amdImage, armImage] = platforms();
    await scanned('tools', amdImage.digest, DAY);

    const on = await preview({ ...keepNone, protectUnscannedDays: 7 });
    expect(on.rules.protectUnscannedDays).toBe(7);
    const decided = await decisionsOf(on.id);
    expect(Object.fromEntries(decided)).toEqual({
      [reg.v2.digest]: ['delete', 'rank 1, beyond the 0 kept'],
      [never.digest]: ['protected', 'protected: no successful scan'],
      [reg.v1.digest]: ['protected', 'protected: last successful scan 10 days ago'],
      [reg.old.digest]: ['protected', 'protected: no successful scan'],
      [reg.index.digest]: ['protected', 'protected: no successful scan'],
    });
    expect(on.totals).toMatchObject({ protected: 4, delete: 1 });

    // Every platform scanned, one of them 9 days ago: the index is as old as that one.
    await scanned('tools', armImage.digest, 9 * DAY);
    const stale = await decisionsOf((await preview({ ...keepNone, protectUnscannedDays: 7 })).id);
    expect(stale.get(reg.index.digest)).toEqual([
      'protected',
      'protected: last successful scan 9 days ago',
    ]);
    // With a longer N, 9 and 10 days are recent enough.
    const longer = await decisionsOf((await preview({ ...keepNone, protectUnscannedDays: 14 })).id);
    expect(longer.get(reg.index.digest)?.[0]).toBe('delete');
    expect(longer.get(reg.v1.digest)?.[0]).toBe('delete');
    expect(longer.get(reg.old.digest)?.[0]).toBe('protected');
  });

  it('changes nothing when off: the same decisions as without the option, scans or not', async () => {
    await scanned('web/app', reg.v2.digest, HOUR);
    const before = await decisionsOf((await preview(keepNone)).id);
    const absent = await preview(keepNone);
    expect(absent.rules.protectUnscannedDays).toBeNull();
    const off = await preview({ ...keepNone, protectUnscannedDays: null });
    expect(await decisionsOf(off.id)).toEqual(before);
    expect(await decisionsOf(absent.id)).toEqual(before);
    expect([...before.values()].every(([decision]) => decision === 'delete')).toBe(true);
  });

  it('leaves alone what Berth never scans: artifacts, and an index’s attestation manifests', async () => {
    const ingester = createImageIngester(server.store, server.blobs);
    const ctx = { actor: 'test', now: server.clock.now };
    // A Helm chart: an artifact with no filesystem, never scanned.
    const config = Buffer.from('{"name":"shop","version":"0.1.0"}');
    const content = Buffer.from('chart bytes');
    const blob = (mediaType: string, bytes: Buffer) => ({
      mediaType,
      bytes,
      digest: sha256Digest(bytes),
    });
    const chartConfig = blob('application/vnd.cncf.helm.config.v1+json', config);
    const chartLayer = blob('application/vnd.cncf.helm.chart.content.v1.tar+gzip', content);
    const chartBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: chartConfig.mediaType, digest: chartConfig.digest, size: 33 },
        layers: [{ mediaType: chartLayer.mediaType, digest: chartLayer.digest, size: 11 }],
      }),
    );
    const chart: BuiltManifest = {
      digest: sha256Digest(chartBytes),
      mediaType: MEDIA_TYPES.manifest,
      artifactType: chartConfig.mediaType,
      bytes: chartBytes,
      config: chartConfig,
      layers: [chartLayer],
      children: [],
      platform: null,
      subject: null,
      createdAt: null,
    };
    await ingester.ingest(NS, 'charts/shop', { manifest: chart, tags: ['0.1.0'] }, ctx);
    // An index as BuildKit pushes it: its image and a provenance attestation for it, whose
    // platform is unknown/unknown.
    const image = buildImage({
      seed: 'built',
      created: new Date(server.clock.now - DAY),
      layers: [buildLayer('built', 256)],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const attestation: BuiltManifest = {
      ...buildImage({
        seed: 'provenance',
        created: new Date(0),
        layers: [buildLayer('provenance', 64)],
      }),
      platform: { os: 'unknown', architecture: 'unknown', variant: null },
    };
    const built = buildIndex([image, attestation]);
    await ingester.ingest(NS, 'built', { manifest: built, tags: ['v1'] }, ctx);
    await scanned('built', image.digest, HOUR);

    const decided = await decisionsOf((await preview({ ...keepNone, protectUnscannedDays: 7 })).id);
    expect(decided.get(chart.digest)).toEqual(['delete', 'rank 1, beyond the 0 kept']);
    expect(decided.get(built.digest)).toEqual(['delete', 'rank 1, beyond the 0 kept']);
  });

  it('re-checks at confirmation: an image whose scan grew stale since the preview is skipped', async () => {
    await scanned('web/app', reg.v2.digest, 7 * DAY - 30 * MINUTE);
    await scanned('web/app', reg.v1.digest, HOUR);
    await scanned('web/app', reg.old.digest, HOUR);
    for (const platform of platforms()) await scanned('tools', platform.digest, HOUR);
    const made = await preview({ ...keepNone, protectUnscannedDays: 7 });
    expect(made.totals).toMatchObject({ delete: 4, protected: 0 });
    // 45 minutes on, v2's newest scan is more than 7 days old; old's result is gone.
    server.clock.advance(45 * MINUTE);
    await server.store.db.deleteFrom('scan_results').where('digest', '=', reg.old.digest).execute();
    const res = await api()
      .post(apiPaths.retentionRuns(NS))
      .send({ previewId: made.id })
      .expect(201);
    expect(res.body.deleted.map((d: { digest: string }) => d.digest).sort()).toEqual(
      [reg.v1.digest, reg.index.digest].sort(),
    );
    const skipped = new Map(
      (res.body.skipped as { digest: string; reason: string }[]).map((s) => [s.digest, s.reason]),
    );
    expect(Object.fromEntries(skipped)).toEqual({
      [reg.v2.digest]: 'no longer eligible: protected: last successful scan 7 days ago',
      [reg.old.digest]: 'no longer eligible: protected: no successful scan',
    });
    expect(res.body.run.rules.protectUnscannedDays).toBe(7);
  });

  it('refuses a bad number of days with a clear error, changing nothing', async () => {
    const before = await server.dump();
    for (const days of [0, -1, 366, 1.5, '7', true, {}]) {
      for (const [method, path, body] of [
        [
          'post',
          apiPaths.retentionPreviews(NS),
          { rules: { ...keepNone, protectUnscannedDays: days } },
        ],
        [
          'put',
          apiPaths.retentionPolicy(NS),
          { ...keepNone, enabled: true, dailyAt: '03:00', protectUnscannedDays: days },
        ],
      ] as const) {
        const res = await api()[method](path).send(body);
        expect(res.status, `${method} ${JSON.stringify(days)}`).toBe(400);
        expect(res.body.error.code).toBe('INVALID_REQUEST');
        expect(res.body.error.message).toMatch(
          /^(rules\.)?protectUnscannedDays: .*protectUnscannedDays/,
        );
      }
    }
    expect(await server.dump()).toBe(before);
  });
});

describe('a policy that protects images by their scans', () => {
  it('is saved and shown, audited, and its daily run applies it', async () => {
    await server.stop();
    server = await startTestServer({ env: { BERTH_SCHEDULER_INTERVAL_MS: '50' } });
    reg = await seedSmallRegistry(server);
    const first = await api().get(apiPaths.retentionPolicy(NS)).expect(200);
    expect(first.body.protectUnscannedDays).toBeNull();
    const body = { ...keepNone, protectUnscannedDays: 3, enabled: true, dailyAt: '12:30' };
    const saved = await api().put(apiPaths.retentionPolicy(NS)).send(body).expect(200);
    expect(saved.body).toMatchObject({ protectUnscannedDays: 3, saved: true });
    expect((await api().get(apiPaths.retentionPolicy(NS)).expect(200)).body).toEqual(saved.body);
    const audit = await server.store.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'retention.policy.update')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(String(audit.details))).toMatchObject({ protectUnscannedDays: 3 });
    // Without rules, a preview uses the saved policy, the scan protection included.
    const fromPolicy = await api().post(apiPaths.retentionPreviews(NS)).send({}).expect(201);
    expect(fromPolicy.body.rules.protectUnscannedDays).toBe(3);

    // Only v2 was scanned recently: the daily run deletes it and protects the rest.
    await scanned('web/app', reg.v2.digest, HOUR);
    await scanned('web/app', reg.v1.digest, 5 * DAY);
    server.clock.advance(31 * MINUTE);
    type Run = { id: string; status: string; deletedImages: number; rules: object };
    let runs: Run[] = [];
    for (let i = 0; i < 100 && !runs.some((r) => r.status === 'succeeded'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      runs = (await api().get(apiPaths.retentionRuns(NS))).body.items;
    }
    expect(runs).toEqual([
      expect.objectContaining({
        trigger: 'schedule',
        status: 'succeeded',
        deletedImages: 1,
        rules: expect.objectContaining({ protectUnscannedDays: 3 }),
      }),
    ]);
    const trash = await api().get(apiPaths.trash(NS)).expect(200);
    expect(trash.body.items.map((t: { digest: string }) => t.digest)).toEqual([reg.v2.digest]);

    // Turned off again, it is stored as off.
    const off = await api()
      .put(apiPaths.retentionPolicy(NS))
      .send({ ...body, protectUnscannedDays: null })
      .expect(200);
    expect(off.body.protectUnscannedDays).toBeNull();
  });
});
