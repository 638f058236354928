import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine, StoreHandle } from './store-handle.js';
import { counterMismatches } from './counter-check.js';
import { type TestDatabase, openTestDatabase, selectRows, testEngines } from './testing/engines.js';
import { createStore, type Store } from './store.js';
import type { IngestManifest } from './images-store.js';
import { TEST_CLAIM, deleteRepositories, runOperation } from './testing/run-operation.js';
import {
  finishRestoreOperation,
  restoreOperationChunk,
  startTrashRestore,
} from './trash-restore-operation.js';
import { finishRetentionRun, retentionRunChunk } from './retention/retention-run-operation.js';
import {
  finishNamespaceDelete,
  namespaceDeleteChunk,
  startNamespaceDelete,
} from './operations/namespace-delete.js';

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
    content: Buffer.from(`{"name":"${name}"}`),
    ...opts,
  };
}

/** What a registry client does: upload (link) every blob, then put the manifest. */
async function push(
  namespace: string,
  repository: string,
  m: IngestManifest,
  tags: string[],
  at: { actor: string; now: number },
) {
  for (const b of m.blobs) {
    await store.registry.linkBlob(namespace, repository, b, at.now);
  }
  return store.images.ingest(namespace, repository, m, tags, at);
}

let database: TestDatabase;
let handle: StoreHandle;
let store: Store;

async function open(engine: Engine) {
  database = await openTestDatabase(engine);
  handle = database.handle;
  store = createStore(handle.db);
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, ctx());
}

/** Counters must always equal what a full scan computes. */
async function expectCountersConsistent() {
  expect(await counterMismatches(handle.db)).toEqual([]);
}

describe.each(testEngines())('store on %s', (engine) => {
  beforeEach(() => open(engine));
  afterEach(() => database.dispose());

  it('ingests images and lists them newest first with tags and referrers', async () => {
    await push('team', 'web/app', manifest('a'), ['1.0'], ctx(T0));
    await push('team', 'web/app', manifest('b'), ['latest', '2.0'], ctx(T0 + 1000));
    await push(
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
      await push(
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
    await push('team', 'multi', manifest('amd'), [], ctx());
    await push('team', 'multi', manifest('arm'), [], ctx());
    await push(
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
    await push('team', 'app', manifest('old'), ['latest', '1.0'], ctx(T0));
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
    await push('team', 'app', manifest('new'), ['latest'], ctx(T0 + 2));
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
    await push('team', 'app', manifest('first'), ['v'], ctx(T0));
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('first') }],
      'deleted',
      ctx(T0 + 1),
    );
    await push('team', 'app', manifest('second'), ['v'], ctx(T0 + 2));
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
    await push('team', 'app', manifest('a'), ['a'], ctx());
    const before = JSON.stringify(await selectRows(handle.db, 'SELECT * FROM manifests'));
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
    expect(JSON.stringify(await selectRows(handle.db, 'SELECT * FROM manifests'))).toBe(before);
    expect((await selectRows(handle.db, 'SELECT COUNT(*) AS n FROM trash_entries'))[0]).toEqual({
      n: 0,
    });
  });

  it('deleting a repository trashes every image with its referrers; it reappears on restore', async () => {
    await push('team', 'app', manifest('a'), ['a'], ctx());
    await push('team', 'app', manifest('b'), [], ctx());
    await push('team', 'app', manifest('s', { subject: digest('a') }), [], ctx());
    const result = await deleteRepositories(store, 'team', ['app'], ctx());
    expect(result.images).toBe(2);
    const states = (await selectRows(handle.db, 'SELECT state FROM manifests')) as {
      state: string;
    }[];
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
    await push('team', 'app', manifest('keep'), ['k'], ctx());
    await push('team', 'app', manifest('gone'), ['g'], ctx());
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('gone') }],
      'deleted',
      ctx(T0),
    );
    expect((await store.trash.purgeExpired(T0 + 29 * DAY)).purged).toBe(0);
    const result = await store.trash.purgeExpired(T0 + 30 * DAY);
    expect(result.purged).toBe(1);
    // The shared layer is still used by "keep"; the unique layer goes.
    expect(result.reclaimed).toEqual([digest('gone-layer')]);
    expect((await store.namespaces.get('team')).trashCount).toBe(0);
    await expectCountersConsistent();
  });

  it('deleting a namespace removes everything in it and reclaims its blobs', async () => {
    await store.namespaces.create({ name: 'other', region: 'local', quotaBytes: null }, ctx());
    await push('other', 'x', manifest('shared-with-team'), [], ctx());
    await push('team', 'app', manifest('a'), ['a'], ctx());
    await push('team', 'app', manifest('b'), [], ctx());
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('b') }],
      'deleted',
      ctx(),
    );
    const operation = await startNamespaceDelete(handle.db, 'team', ctx(), TEST_CLAIM);
    // Gone at once for every lookup by name and every listing, while its rows go in chunks.
    await expect(store.namespaces.get('team')).rejects.toMatchObject({ code: 'NAMESPACE_UNKNOWN' });
    expect((await store.namespaces.list({ limit: 10 })).items.map((n) => n.name)).toEqual([
      'other',
    ]);
    let chunks = 0;
    const summary = await runOperation(
      store,
      operation,
      {
        chunk: async (trx, op, budget, now) => {
          chunks++;
          return namespaceDeleteChunk(trx, op, budget, now);
        },
        finish: finishNamespaceDelete,
      },
      T0,
      1,
    );
    expect(chunks).toBeGreaterThan(3);
    expect(summary).toMatchObject({ repositories: 1, images: 1, trashItems: 1 });
    const marked = (
      (await selectRows(handle.db, 'SELECT digest FROM blobs WHERE deleting = 1')) as {
        digest: string;
      }[]
    ).map((b) => b.digest);
    expect(marked).not.toContain(digest('shared-layer'));
    expect(marked).toContain(digest('a-layer'));
    for (const table of ['repositories', 'manifests', 'trash_entries', 'tags']) {
      const rows = (await selectRows(handle.db, `SELECT COUNT(*) AS n FROM ${table}`))[0] as {
        n: number;
      };
      expect(rows.n, table).toBe(table === 'repositories' || table === 'manifests' ? 1 : 0);
    }
    expect(await selectRows(handle.db, 'SELECT name FROM namespaces')).toEqual([{ name: 'other' }]);
    await expectCountersConsistent();
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

  it('a manifest is refused unless every blob is linked to its repository', async () => {
    const m = manifest('lonely');
    await store.registry.linkBlob('team', 'elsewhere', m.blobs[0]!, T0);
    await store.registry.linkBlob('team', 'elsewhere', m.blobs[1]!, T0);
    // Known in another repository is not enough: the pusher must upload or mount it here.
    await expect(store.images.ingest('team', 'app', m, ['x'], ctx())).rejects.toMatchObject({
      code: 'MANIFEST_BLOB_UNKNOWN',
    });
    await store.registry.mountBlob(
      'team',
      'app',
      { namespace: 'team', repository: 'elsewhere' },
      m.blobs[0]!.digest,
      T0,
    );
    await store.registry.linkBlob('team', 'app', m.blobs[1]!, T0);
    await expect(
      store.images.ingest('team', 'app', { ...m, blobs: [{ ...m.blobs[1]!, size: 7 }] }, [], ctx()),
    ).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    await store.images.ingest('team', 'app', m, ['x'], ctx());
    expect((await store.namespaces.get('team')).imageCount).toBe(1);
  });

  it('a manifest sealed for a namespace id the name no longer has is refused, and nothing is stored', async () => {
    const m = manifest('sealed');
    const id = (await store.imageDataKeys.namespaceId('team'))!;
    for (const b of m.blobs) await store.registry.linkBlob('team', 'app', b, T0);
    await expect(
      store.images.ingest('team', 'app', { ...m, sealedFor: id + 1 }, ['x'], ctx()),
    ).rejects.toMatchObject({ code: 'NAME_UNKNOWN', message: /deleted and created again/ });
    expect((await store.namespaces.get('team')).imageCount).toBe(0);
    await store.images.ingest('team', 'app', { ...m, sealedFor: id }, ['x'], ctx());
    expect((await store.namespaces.get('team')).imageCount).toBe(1);
    await expectCountersConsistent();
  });

  it('a namespace quota refuses the push that would exceed it and nothing else', async () => {
    await store.namespaces.create({ name: 'tiny', region: 'local', quotaBytes: 12_000 }, ctx());
    await push('tiny', 'app', manifest('fits'), ['a'], ctx()); // 11,500 bytes
    await expect(push('tiny', 'app', manifest('over'), ['b'], ctx())).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
    });
    const ns = await store.namespaces.get('tiny');
    expect(ns).toMatchObject({ imageCount: 1, sizeBytes: 11_500 });
    // A new tag on an image already stored adds nothing, so it is allowed.
    await push('tiny', 'app', manifest('fits'), ['c'], ctx());
  });

  it('re-pushing an image that is in the trash brings it back with the pushed tag', async () => {
    await push('team', 'app', manifest('a'), ['1.0', 'latest'], ctx());
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('a') }],
      'deleted',
      ctx(),
    );
    expect((await store.namespaces.get('team')).trashCount).toBe(1);
    await push('team', 'app', manifest('a'), ['again'], ctx(T0 + 5));
    const page = await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 });
    expect(page.items.map((i) => [i.digest, i.tags])).toEqual([[digest('a'), ['again']]]);
    expect(await store.trash.list('team', { limit: 10 }, T0 + 5)).toMatchObject({ items: [] });
    await expectCountersConsistent();
  });

  it('GC drops stale unused links, marks unreferenced blobs, and spares fresh links', async () => {
    await push('team', 'app', manifest('kept'), ['k'], ctx());
    // An upload whose manifest never came, and one that is still fresh.
    await store.registry.linkBlob('team', 'app', { digest: digest('abandoned'), size: 5 }, T0);
    await store.registry.linkBlob('team', 'app', { digest: digest('fresh'), size: 7 }, T0 + DAY);
    const cutoff = T0 + DAY - 1;
    expect(await store.gc.plan(cutoff)).toEqual({ staleLinks: 1, blobs: 1, bytes: 5 });
    const before = (await selectRows(handle.db, 'SELECT COUNT(*) AS n FROM repository_blobs'))[0];
    const steps = [];
    for await (const step of store.gc.mark(cutoff)) steps.push(step);
    expect(steps).toEqual([
      { links: 1, blobs: [] },
      { links: 0, blobs: [{ digest: digest('abandoned'), size: 5 }] },
    ]);
    expect(
      (await selectRows(handle.db, 'SELECT COUNT(*) AS n FROM repository_blobs'))[0],
    ).not.toEqual(before);
    // While marked, the blob cannot be read, linked or referenced.
    const repo = (await store.registry.repositoryId('team', 'app'))!;
    expect(await store.registry.findBlob(repo.id, digest('abandoned'))).toBeNull();
    expect(
      await store.registry.linkBlob('team', 'app', { digest: digest('abandoned'), size: 5 }, T0),
    ).toBe('busy');
    await store.gc.finishBlobDeletion([digest('abandoned')]);
    expect(await store.gc.marked(10)).toEqual([]);
    expect(
      await store.registry.linkBlob(
        'team',
        'app',
        { digest: digest('abandoned'), size: 5 },
        T0 + DAY,
      ),
    ).toBe('linked');
    expect(await store.gc.plan(cutoff)).toEqual({ staleLinks: 0, blobs: 0, bytes: 0 });
  });

  it("bumps an image's revision on every push, tag move, untag, trash and restore, and on nothing else", async () => {
    const revision = async (name: string) =>
      (
        await handle.db
          .selectFrom('manifests')
          .select('revision')
          .where('digest', '=', digest(name))
          .executeTakeFirstOrThrow()
      ).revision;
    await push('team', 'app', manifest('a'), ['1.0'], ctx(T0));
    await push('team', 'app', manifest('b'), ['2.0'], ctx(T0 + 1));
    const start = { a: await revision('a'), b: await revision('b') };
    // Reads and pushes of other images leave a alone.
    await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 });
    await push('team', 'app', manifest('c'), [], ctx(T0 + 2));
    expect(await revision('a')).toBe(start.a);
    // b takes tag 1.0 from a: both changed.
    await push('team', 'app', manifest('b'), ['1.0'], ctx(T0 + 3));
    expect(await revision('a')).toBe(start.a + 1);
    expect(await revision('b')).toBe(start.b + 1);
    await store.images.untag('team', 'app', '2.0', ctx(T0 + 4));
    expect(await revision('b')).toBe(start.b + 2);
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest('a') }],
      'deleted',
      ctx(T0 + 5),
    );
    expect(await revision('a')).toBe(start.a + 2);
    await store.trash.restore('team', { repository: 'app', digest: digest('a') }, ctx(T0 + 6));
    expect(await revision('a')).toBe(start.a + 3);
    // Re-pushing unchanged content is a push too.
    await push('team', 'app', manifest('a'), [], ctx(T0 + 7));
    expect(await revision('a')).toBe(start.a + 4);
  });

  it('a retention preview lets the event loop turn while it decides', async () => {
    // better-sqlite3 answers synchronously: a preview that only awaited its queries would
    // finish before any timer or request got a turn, and at a million images that was seconds.
    for (let i = 0; i < 3; i++) {
      await push(
        'team',
        'app',
        manifest(`turn${i}`, { createdAt: T0 + i }),
        [`t${i}`],
        ctx(T0 + i),
      );
    }
    const order: string[] = [];
    setImmediate(() => order.push('turn'));
    const rules = {
      keepCount: 1,
      retainUntagged: true,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: null,
    };
    const preview = await store.retention.createPreview('team', rules, [], ctx(T0 + 10), 3_600_000);
    order.push('preview');
    expect(preview.summary.totals).toMatchObject({ images: 3, keep: 1, delete: 2 });
    expect(order).toEqual(['turn', 'preview']);
  });

  /** team/app: img0…img4 created in that order, tagged v0…v4; the rules keep two of them. */
  async function pushFiveKeepTwo() {
    for (let i = 0; i < 5; i++) {
      await push('team', 'app', manifest(`img${i}`, { createdAt: T0 + i }), [`v${i}`], ctx(T0 + i));
    }
    return {
      keepCount: 2,
      retainUntagged: true,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: null,
    };
  }

  /** Confirms a preview of team at `at` and works the run's operation to its end. */
  async function confirmAndRunToEnd(previewId: string, at: number) {
    const operation = await store.retention.confirm('team', previewId, [], ctx(at), TEST_CLAIM);
    return runOperation(
      store,
      operation,
      { chunk: retentionRunChunk, finish: finishRetentionRun },
      at,
    );
  }

  it("a confirm that deletes exactly the preview's images records the preview's reclaim estimate", async () => {
    const rules = await pushFiveKeepTwo();
    const confirmAndRun = async (at: number) => {
      const preview = await store.retention.createPreview('team', rules, [], ctx(at), 3_600_000);
      // Since the preview, another repository started using img0's own layer: worked out now,
      // deleting img0 would no longer free it.
      await push(
        'team',
        `later-${at}`,
        manifest(`later-${at}`, {
          blobs: [{ digest: digest('img0-layer'), size: 1_000, mediaType: 'layer' }],
        }),
        [],
        ctx(at + 1),
      );
      return { preview, at: at + 2 };
    };

    const first = await confirmAndRun(T0 + 10);
    // img0, img1 and img2 go, with their own layers; the shared one stays with img3 and img4.
    expect(first.preview.summary.totals).toMatchObject({ delete: 3, reclaimBytes: 3_000 });
    const runId = await confirmAndRunToEnd(first.preview.id, first.at);
    const run = (await store.retention.getRun('team', runId)).run;
    expect(run).toMatchObject({ deletedImages: 3, skippedImages: 0, reclaimBytes: 3_000 });
    await expectCountersConsistent();
  });

  it('a confirm that skips images works the reclaim estimate out again for what it deletes', async () => {
    const rules = await pushFiveKeepTwo();
    const preview = await store.retention.createPreview('team', rules, [], ctx(T0 + 10), 3_600_000);
    expect(preview.summary.totals).toMatchObject({ delete: 3, reclaimBytes: 3_000 });
    // img2 is tagged again after the preview, so the confirm leaves it.
    await push('team', 'app', manifest('img2', { createdAt: T0 + 2 }), ['again'], ctx(T0 + 11));
    const runId = await confirmAndRunToEnd(preview.id, T0 + 12);
    const run = (await store.retention.getRun('team', runId)).run;
    expect(run).toMatchObject({ deletedImages: 2, skippedImages: 1, reclaimBytes: 2_000 });
  });

  it('a retention run and its restore keep every counter consistent', async () => {
    const rules = await pushFiveKeepTwo();
    const preview = await store.retention.createPreview('team', rules, [], ctx(T0 + 10), 3_600_000);
    expect(preview.summary.totals).toMatchObject({ images: 5, keep: 2, delete: 3 });
    const runId = await confirmAndRunToEnd(preview.id, T0 + 11);
    const outcome = await store.retention.getRun('team', runId);
    expect(outcome.deleted.map((d) => d.tags[0]).sort()).toEqual(['v0', 'v1', 'v2']);
    await expectCountersConsistent();
    const restore = await startTrashRestore(
      store.db,
      'team',
      { retentionRun: outcome.run.id },
      ctx(T0 + 12),
      TEST_CLAIM,
    );
    const restored = await runOperation(
      store,
      restore.id,
      {
        chunk: (trx, op, budget, now) => restoreOperationChunk(trx, op, budget, now, 1000),
        finish: finishRestoreOperation,
      },
      T0 + 12,
      // Two chunks: the run's entries come back newest deletion first across them.
      2,
    );
    expect(restored).toMatchObject({
      scope: 'retention-run',
      notInTrash: 0,
      tally: { restored: 3, skippedTagCount: 0 },
    });
    const audit = await store.audit.list({ limit: 100 });
    expect(audit.items.find((e) => e.action === 'retention.run.restore')).toMatchObject({
      outcome: 'success',
      details: { runId: outcome.run.id, restored: 3, skippedTags: 0, notInTrash: 0 },
    });
    await expectCountersConsistent();
    const images = await store.images.list('team', 'app', { sort: 'pushedAt', limit: 10 });
    expect(images.items.map((i) => i.tags)).toEqual([['v4'], ['v3'], ['v2'], ['v1'], ['v0']]);
  });
});
