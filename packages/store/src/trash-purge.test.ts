import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHandle } from './store-handle.js';
import { type TestDatabase, openTestDatabase, selectRows, testEngines } from './testing/engines.js';
import { createStore, type Store } from './store.js';
import type { IngestManifest } from './images-store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const ctx = (now = T0) => ({ actor: 'tester', now });

let database: TestDatabase;
let handle: StoreHandle;
let store: Store;

function image(name: string, size: number): IngestManifest {
  return {
    digest: digest(name),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    manifestSize: 500,
    blobs: [
      { digest: digest('base'), size: 10_000, mediaType: 'layer' },
      { digest: digest(`${name}-layer`), size, mediaType: 'layer' },
    ],
    children: [],
    subject: null,
    createdAt: T0 - DAY,
    content: Buffer.from(`{"name":"${name}"}`),
  };
}

describe.each(testEngines())('trash sweeper on %s', (engine) => {
  beforeEach(async () => {
    database = await openTestDatabase(engine);
    handle = database.handle;
    store = createStore(handle.db);
    await store.namespaces.ensureRegions(['local'], T0);
    for (const name of ['one', 'two', 'three'])
      await store.namespaces.create({ name, region: 'local', quotaBytes: null }, ctx());
  });
  afterEach(() => database.dispose());

  it('purges expired entries batch by batch with counters, audit rows and blobs as entry by entry', async () => {
    const trashed: { namespace: string; repository: string; name: string }[] = [];
    for (let i = 0; i < 17; i++) {
      const namespace = ['one', 'two', 'three'][i % 3]!;
      const repository = `app-${i % 2}`;
      const name = `img-${i}`;
      for (const b of image(name, 1000 + i).blobs)
        await store.registry.linkBlob(namespace, repository, b, T0);
      await store.images.ingest(namespace, repository, image(name, 1000 + i), [`t${i}`], ctx());
      // Two thirds go to the trash on different days, so some expire later than the sweep.
      if (i % 3 !== 2 || i < 9) {
        await store.images.trash(
          namespace,
          [{ repository, digest: digest(name) }],
          'deleted',
          ctx(T0 + (i % 4) * DAY),
        );
        trashed.push({ namespace, repository, name });
      }
    }
    const sweepAt = T0 + 32 * DAY;
    const expired = (
      await sql<{ target: string }>`
      SELECT n.name || '/' || r.name || '@' || t.digest AS target FROM trash_entries t
      JOIN namespaces n ON n.id = t.namespace_id JOIN repositories r ON r.id = t.repository_id
      WHERE t.expires_at <= ${sweepAt} ORDER BY t.expires_at, t.id`.execute(handle.db)
    ).rows.map((r) => r.target);
    expect(expired.length).toBeGreaterThan(5);
    expect(expired.length).toBeLessThan(trashed.length);

    const reclaimed: string[] = [];
    let purged = 0;
    for (;;) {
      const batch = await store.trash.purgeExpired(sweepAt, { batch: 4 });
      if (batch.purged === 0) break;
      purged += batch.purged;
      reclaimed.push(...batch.reclaimed);
    }
    expect(purged).toBe(expired.length);

    // Counters equal a full recount in every namespace.
    const counters = await selectRows<{
      count: number;
      bytes: number;
      real_count: number;
      real_bytes: number;
    }>(
      handle.db,
      `SELECT n.name, n.trash_count AS count, n.trash_size_bytes AS bytes,
       (SELECT COUNT(*) FROM trash_entries t WHERE t.namespace_id = n.id) AS real_count,
       (SELECT COALESCE(SUM(size_bytes), 0) FROM trash_entries t WHERE t.namespace_id = n.id) AS real_bytes
     FROM namespaces n ORDER BY n.name`,
    );
    expect(counters).toHaveLength(3);
    for (const c of counters) expect([c.count, c.bytes]).toEqual([c.real_count, c.real_bytes]);
    expect(counters.reduce((n, c) => n + c.count, 0)).toBe(trashed.length - purged);

    // One audit row per purged image, in the order they expired.
    const audits = await selectRows<{ actor: string; target: string; outcome: string; at: number }>(
      handle.db,
      `SELECT actor, target, outcome, at FROM audit_events WHERE action = 'image.purge' ORDER BY id`,
    );
    expect(audits.map((a) => a.target)).toEqual(expired);
    expect(new Set(audits.map((a) => `${a.actor} ${a.outcome} ${a.at}`))).toEqual(
      new Set([`system:trash-sweeper success ${sweepAt}`]),
    );

    // Each purged image's own layer goes; the base layer that live images use stays.
    const layerOf = new Map(trashed.map((t) => [digest(t.name), digest(`${t.name}-layer`)]));
    expect(reclaimed.sort()).toEqual(expired.map((t) => layerOf.get(t.split('@')[1]!)).sort());
    expect(
      (
        await selectRows<{ digest: string }>(
          handle.db,
          'SELECT digest FROM blobs WHERE deleting = 1',
        )
      )
        .map((b) => b.digest)
        .sort(),
    ).toEqual(reclaimed);
  });
});
