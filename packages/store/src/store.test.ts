import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';
import { createStore, type Store } from './store.js';
import type { IngestManifest } from './images-store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const ctx = (now = T0) => ({ actor: 'tester', now });

function manifest(name: string, opts: Partial<IngestManifest> = {}): IngestManifest {
  return {
    digest: digest(name),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    manifestSize: 500,
    blobs: [
      { digest: digest('shared-layer'), size: 10_000, mediaType: 'layer' },
      { digest: digest(`${name}-layer`), size: 1_000, mediaType: 'layer' },
    ],
    children: [],
    subject: null,
    createdAt: T0 - DAY,
    ...opts,
  };
}

let dir: string;
let handle: SqliteHandle;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-store-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  store = createStore(handle.db);
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, ctx());
});

afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Counters must always equal what a full scan computes. */
async function expectCountersConsistent() {
  const db = handle.raw;
  const repos = db
    .prepare(
      `SELECT r.name, r.image_count, r.size_bytes,
        (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS real_count,
        (SELECT COALESCE(SUM(size_bytes), 0) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS real_size
       FROM repositories r`,
    )
    .all() as { image_count: number; real_count: number; size_bytes: number; real_size: number }[];
  for (const r of repos) {
    expect(r.image_count).toBe(r.real_count);
    expect(r.size_bytes).toBe(r.real_size);
  }
  const ns = db
    .prepare(
      `SELECT n.image_count, n.size_bytes, n.trash_count, n.repository_count,
        (SELECT COUNT(*) FROM trash_entries t WHERE t.namespace_id = n.id) AS real_trash,
        (SELECT COALESCE(SUM(image_count), 0) FROM repositories r WHERE r.namespace_id = n.id) AS real_images,
        (SELECT COUNT(*) FROM repositories r WHERE r.namespace_id = n.id AND r.image_count > 0) AS real_repos
       FROM namespaces n`,
    )
    .all() as Record<string, number>[];
  for (const n of ns) {
    expect(n.trash_count).toBe(n.real_trash);
    expect(n.image_count).toBe(n.real_images);
    expect(n.repository_count).toBe(n.real_repos);
  }
}

describe('store on a real SQLite file', () => {
  it('ingests images and lists them newest first with tags and referrers', async () => {
    await store.images.ingest('team', 'web/app', manifest('a'), ['1.0'], ctx(T0));
    await store.images.ingest('team', 'web/app', manifest('b'), ['latest', '2.0'], ctx(T0 + 1000));
    await store.images.ingest(
      'team',
      'web/app',
      manifest('sig', { subject: digest('b'), artifactType: 'sig' }),
      [],
      ctx(T0 + 2000),
    );
    const page = await store.images.list('team', 'web/app', { sort: 'pushedAt', limit: 10 });
    expect(page.items.map((i) => i.digest)).toEqual([digest('b'), digest('a')]);
    expect(page.items[0]?.tags).toEqual(['2.0', 'latest']);
    expect(page.items[0]?.referrers.map((r) => r.digest)).toEqual([digest('sig')]);
    expect(page.items[0]?.sizeBytes).toBe(500 + 10_000 + 1_000);
    const repos = await store.repositories.list('team', { sort: 'name', limit: 10 });
    expect(repos.items).toEqual([
      { name: 'web/app', imageCount: 2, sizeBytes: 23_000, lastPushedAt: T0 + 2000 },
    ]);
    await expectCountersConsistent();
  });

  it('pages through a repository with keyset cursors without gaps or repeats', async () => {
    for (let i = 0; i < 25; i++) {
      await store.images.ingest(
        'team',
        'many',
        manifest(`m${i}`, { createdAt: T0 - (i % 3) * DAY }),
        [`t${i}`],
        ctx(T0 + (i % 5)),
      );
    }
    for (const sort of ['pushedAt', 'createdAt', 'sizeBytes'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.images.list('team', 'many', { sort, limit: 7, cursor });
        seen.push(...page.items.map((i) => i.digest));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
    }
  });

  it('an index hides its platform children from the list and carries their platforms', async () => {
    await store.images.ingest('team', 'multi', manifest('amd'), [], ctx());
    await store.images.ingest('team', 'multi', manifest('arm'), [], ctx());
    await store.images.ingest(
      'team',
      'multi',
      manifest('idx', {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        blobs: [],
        children: [
          {
            digest: digest('amd'),
            platform: { os: 'linux', architecture: 'amd64', variant: null },
          },
          {
            digest: digest('arm'),
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
      ['stable'],
      ctx(),
    );
    const page = await store.images.list('team', 'multi', { sort: 'pushedAt', limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.platforms.map((p) => p.architecture).sort()).toEqual(['amd64', 'arm64']);
    await expectCountersConsistent();
    await expect(
      store.images.trash(
        'team',
        [{ repository: 'multi', digest: digest('amd') }],
        'deleted',
        ctx(),
      ),
    ).rejects.toMatchObject({
      code: 'IMAGE_IN_INDEX',
    });
  });

  it('trash remembers tags; restore brings back the free ones and reports the taken ones', async () => {
    await store.images.ingest('team', 'app', manifest('old'), ['latest', '1.0'], ctx(T0));
    const [trashed] = await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('old') }],
      'deleted',
      ctx(T0 + 1),
    );
    expect(trashed?.tags).toEqual(['1.0', 'latest']);
    expect((await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 })).items).toEqual(
      [],
    );
    expect((await store.repositories.list('team', { sort: 'name', limit: 10 })).items).toEqual([]);
    await store.images.ingest('team', 'app', manifest('new'), ['latest'], ctx(T0 + 2));
    const outcome = await store.trash.restore(
      'team',
      { repository: 'app', digest: digest('old') },
      ctx(T0 + 3),
    );
    expect(outcome.restored.tags).toEqual(['1.0']);
    expect(outcome.skippedTags).toEqual([
      expect.objectContaining({ tag: 'latest', heldBy: digest('new') }),
    ]);
    const images = await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 });
    expect(images.items.map((i) => [i.digest, i.tags])).toEqual([
      [digest('new'), ['latest']],
      [digest('old'), ['1.0']],
    ]);
    await expectCountersConsistent();
  });

  it('restore by tag brings back the image that last held it, and refuses a tag now in use', async () => {
    await store.images.ingest('team', 'app', manifest('first'), ['v'], ctx(T0));
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('first') }],
      'deleted',
      ctx(T0 + 1),
    );
    await store.images.ingest('team', 'app', manifest('second'), ['v'], ctx(T0 + 2));
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('second') }],
      'deleted',
      ctx(T0 + 3),
    );
    const outcome = await store.trash.restore('team', { repository: 'app', tag: 'v' }, ctx(T0 + 4));
    expect(outcome.restored).toEqual({ repository: 'app', digest: digest('second'), tags: ['v'] });
    await expect(
      store.trash.restore('team', { repository: 'app', tag: 'v' }, ctx(T0 + 5)),
    ).rejects.toMatchObject({ code: 'TAG_IN_USE' });
  });

  it('a batch delete with one unknown image changes nothing', async () => {
    await store.images.ingest('team', 'app', manifest('a'), ['a'], ctx());
    const before = JSON.stringify(handle.raw.prepare('SELECT * FROM manifests').all());
    await expect(
      store.images.trash(
        'team',
        [
          { repository: 'app', digest: digest('a') },
          { repository: 'app', digest: digest('missing') },
        ],
        'deleted',
        ctx(),
      ),
    ).rejects.toMatchObject({ code: 'IMAGE_UNKNOWN' });
    expect(JSON.stringify(handle.raw.prepare('SELECT * FROM manifests').all())).toBe(before);
    expect(handle.raw.prepare('SELECT COUNT(*) AS n FROM trash_entries').get()).toEqual({ n: 0 });
  });

  it('deleting a repository trashes every image with its referrers; it reappears on restore', async () => {
    await store.images.ingest('team', 'app', manifest('a'), ['a'], ctx());
    await store.images.ingest('team', 'app', manifest('b'), [], ctx());
    await store.images.ingest('team', 'app', manifest('s', { subject: digest('a') }), [], ctx());
    const result = await store.images.trashRepositories('team', ['app'], ctx());
    expect(result.images).toBe(2);
    const states = handle.raw.prepare('SELECT state FROM manifests').all() as { state: string }[];
    expect(states.every((s) => s.state === 'trashed')).toBe(true);
    expect((await store.namespaces.get('team')).repositoryCount).toBe(0);
    await store.trash.restore('team', { repository: 'app', digest: digest('a') }, ctx());
    const ns = await store.namespaces.get('team');
    expect([ns.repositoryCount, ns.imageCount, ns.trashCount]).toEqual([1, 1, 1]);
    const list = await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 });
    expect(list.items[0]?.referrers).toHaveLength(1);
    await expectCountersConsistent();
  });

  it('the sweeper purges only expired entries and reclaims blobs nothing else uses', async () => {
    await store.images.ingest('team', 'app', manifest('keep'), ['k'], ctx());
    await store.images.ingest('team', 'app', manifest('gone'), ['g'], ctx());
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('gone') }],
      'deleted',
      ctx(T0),
    );
    expect((await store.trash.purgeExpired(T0 + 29 * DAY)).purged).toBe(0);
    const result = await store.trash.purgeExpired(T0 + 30 * DAY);
    expect(result.purged).toBe(1);
    // The shared layer is still used by "keep"; the unique layer and the manifest go.
    expect(result.reclaimed.sort()).toEqual([digest('gone'), digest('gone-layer')].sort());
    expect((await store.namespaces.get('team')).trashCount).toBe(0);
    await expectCountersConsistent();
  });

  it('deleting a namespace removes everything in it and reclaims its blobs', async () => {
    await store.namespaces.create({ name: 'other', region: 'local', quotaBytes: null }, ctx());
    await store.images.ingest('other', 'x', manifest('shared-with-team'), [], ctx());
    await store.images.ingest('team', 'app', manifest('a'), ['a'], ctx());
    await store.images.ingest('team', 'app', manifest('b'), [], ctx());
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('b') }],
      'deleted',
      ctx(),
    );
    const { summary, reclaimed } = await store.namespaces.delete('team', ctx());
    expect(summary).toMatchObject({ repositories: 1, images: 1, trashItems: 1 });
    expect(reclaimed).not.toContain(digest('shared-layer'));
    expect(reclaimed).toContain(digest('a-layer'));
    for (const table of ['repositories', 'manifests', 'trash_entries', 'tags']) {
      const rows = handle.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
      expect(rows.n, table).toBe(table === 'repositories' || table === 'manifests' ? 1 : 0);
    }
  });

  it('refuses bad cursors and duplicate namespaces with typed errors', async () => {
    await expect(store.namespaces.list({ cursor: 'garbage', limit: 10 })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
    await expect(
      store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, ctx()),
    ).rejects.toMatchObject({
      code: 'NAMESPACE_EXISTS',
    });
    await expect(
      store.namespaces.create({ name: 'fresh', region: 'mars', quotaBytes: null }, ctx()),
    ).rejects.toMatchObject({
      code: 'REGION_UNKNOWN',
    });
  });

  it('namespace search treats % and _ literally', async () => {
    await store.namespaces.create({ name: 'a_b_c', region: 'local', quotaBytes: null }, ctx());
    await store.namespaces.create({ name: 'axbxc', region: 'local', quotaBytes: null }, ctx());
    const page = await store.namespaces.list({ q: '_b_', limit: 10 });
    expect(page.items.map((n) => n.name)).toEqual(['a_b_c']);
  });
});
