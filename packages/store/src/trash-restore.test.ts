import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYNTHETIC_CREATED, digestOf, syntheticImage } from './testing/synthetic-manifests.js';
import { openSqlite, type SqliteHandle } from './connect.js';
import type { Engine, StoreHandle } from './store-handle.js';
import { type TestDatabase, openTestDatabase, selectRows, testEngines } from './testing/engines.js';
import { copiesOfTestDatabase } from './testing/database-copies.js';
import { createStore, type Store } from './store.js';
import type { IngestManifest } from './images-store.js';
import {
  relinkBlobsOfEntries,
  restoreTrashEntriesById,
  reviveManifestsOfEntries,
} from './trash-restore.js';
import { bulkLoadSynthetic } from './bulk-load.js';
import { appendOperationItemValues, createOperation } from './operations/operations-store.js';
import {
  finishRestoreOperation,
  nextEntriesQuery,
  restoreOperationChunk,
  startTrashRestore,
} from './trash-restore-operation.js';
import { deleteRepositories } from './testing/run-operation.js';

const T0 = SYNTHETIC_CREATED;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const digest = digestOf;
const sigTag = (of: string) => `${digest(of).replace(':', '-')}.sig`;

/** A small deterministic generator, so a failing dataset can be reproduced from its seed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

const image = syntheticImage;

function index(name: string, children: string[]): IngestManifest {
  return {
    ...image(name, []),
    mediaType: INDEX,
    blobs: [],
    children: children.map((c, i) => ({
      digest: digest(c),
      platform: { os: 'linux', architecture: `arch${i}`, variant: null },
    })),
  };
}

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.dispose();
});

/**
 * A namespace whose trash holds every shape a restore meets: layers shared across images and
 * repositories, nested indexes whose platform images two indexes share, referrers, cosign tag
 * signatures (attached, and one waiting for the image it names), tags two deleted images both
 * remember, tags someone took after the delete, and deletions at the same instant.
 */
async function seedTrash(store: Store, seed: number): Promise<void> {
  const rnd = random(seed);
  let now = T0;
  const at = () => ({ actor: 'seed', now: (now += 1000) });
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, at());
  const shared = ['base-os', 'runtime', 'libs', 'certs'];
  const push = async (repo: string, m: IngestManifest, tags: string[]) => {
    for (const b of m.blobs) await store.registry.linkBlob('team', repo, b, now);
    return store.images.ingest('team', repo, m, tags, at());
  };
  const trash = (repo: string, names: string[]) =>
    store.images.trash(
      'team',
      names.map((n) => ({ repository: repo, digest: digest(n) })),
      'deleted',
      at(),
    );
  const repos = ['app', 'lib/core'];
  const live: { repo: string; name: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const repo = rnd.pick(repos);
    const name = `img-${seed}-${i}`;
    const tags = rnd.next() < 0.6 ? [`v${i}`] : [];
    if (rnd.next() < 0.3) tags.push(rnd.pick(['latest', 'stable', 'edge']));
    // A tag another image holds moves: the earlier holder loses it.
    await push(repo, image(name, [rnd.pick(shared), rnd.pick(shared), `${name}-layer`]), tags);
    live.push({ repo, name });
    if (rnd.next() < 0.25) {
      await push(repo, image(`${name}-ref`, [`${name}-sbom`], { subject: digest(name) }), []);
    }
    if (rnd.next() < 0.25) {
      await push(repo, image(`${name}-sig`, [`${name}-sig-layer`]), [sigTag(name)]);
    }
  }
  // Nested index: an index of an index, and a platform image two indexes share.
  for (const p of ['amd', 'arm', 'riscv'])
    await push('app', image(`p-${seed}-${p}`, ['base-os']), []);
  await push('app', index(`inner-${seed}`, [`p-${seed}-amd`, `p-${seed}-arm`]), []);
  await push('app', index(`outer-${seed}`, [`inner-${seed}`, `p-${seed}-riscv`]), ['multi']);
  await push('app', index(`other-${seed}`, [`p-${seed}-amd`]), ['multi-amd']);
  await push('app', image(`outer-${seed}-sig`, ['sig']), [sigTag(`outer-${seed}`)]);

  // Two deleted images remember "shared-tag"; a third remembers "taken", which is held now.
  await push('app', image(`first-${seed}`, ['base-os']), ['shared-tag', 'taken', 'first']);
  await trash('app', [`first-${seed}`]);
  await push('app', image(`second-${seed}`, ['runtime']), ['shared-tag', 'second']);
  await trash('app', [`second-${seed}`]);
  await push('app', image(`holder-${seed}`, ['libs']), ['taken']);
  // A signature whose image is in the trash: restored, it is linked to that image.
  await push('app', image(`waiting-${seed}`, ['certs']), [sigTag(`late-${seed}`), 'waiting']);
  await trash('app', [`waiting-${seed}`]);
  await push('app', image(`late-${seed}`, ['runtime']), ['late']);
  await trash('app', [`late-${seed}`]);
  // A blob DELETE while the image is in the trash: its restore links the blob again.
  await store.registry.unlinkBlob('team', 'app', digest(`late-${seed}-config`), at());

  await trash('app', [`outer-${seed}`, `other-${seed}`]);
  // Deletions one at a time, and several at the same instant.
  const order = live.sort(() => rnd.next() - 0.5);
  for (let i = 0; i < order.length;) {
    const n = 1 + rnd.int(3);
    const group = order.slice(i, i + n);
    i += n;
    for (const repo of repos) {
      const names = group.filter((g) => g.repo === repo).map((g) => g.name);
      if (names.length > 0 && rnd.next() < 0.85) await trash(repo, names);
    }
  }
}

/** The rows a restore changes, in a stable order, so two stores compare as strings. */
async function dump(handle: StoreHandle): Promise<string> {
  const all = (q: string) => selectRows(handle.db, q);
  return JSON.stringify({
    manifests: await all(
      `SELECT id, digest, state, listed, top_level, trash_entry_id, signs_digest, signs_kind, revision
       FROM manifests ORDER BY id`,
    ),
    tags: await all('SELECT repository_id, name, manifest_id, updated_at FROM tags ORDER BY 1, 2'),
    repositoryBlobs: await all(
      'SELECT repository_id, digest, touched_at FROM repository_blobs ORDER BY 1, 2',
    ),
    trash: await all('SELECT id FROM trash_entries ORDER BY id'),
    trashTags: await all('SELECT trash_entry_id, tag, manifest_id FROM trash_tags ORDER BY 1, 2'),
    repositories: await all('SELECT id, image_count, size_bytes FROM repositories ORDER BY id'),
    namespaces: await all(
      `SELECT id, image_count, size_bytes, repository_count, trash_count, trash_size_bytes
       FROM namespaces ORDER BY id`,
    ),
  });
}

/** Counters must always equal what a full scan computes. */
async function expectCountersMatchRecount(handle: StoreHandle): Promise<void> {
  const repos = await selectRows<Record<string, number>>(
    handle.db,
    `SELECT r.image_count, r.size_bytes,
        (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS real_count,
        (SELECT COALESCE(SUM(size_bytes), 0) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS real_size
       FROM repositories r`,
  );
  for (const r of repos) expect([r.image_count, r.size_bytes]).toEqual([r.real_count, r.real_size]);
  const ns = await selectRows<Record<string, number>>(
    handle.db,
    `SELECT n.image_count, n.size_bytes, n.trash_count, n.trash_size_bytes, n.repository_count,
        (SELECT COUNT(*) FROM trash_entries t WHERE t.namespace_id = n.id) AS real_trash,
        (SELECT COALESCE(SUM(size_bytes), 0) FROM trash_entries t WHERE t.namespace_id = n.id) AS real_trash_size,
        (SELECT COALESCE(SUM(image_count), 0) FROM repositories r WHERE r.namespace_id = n.id) AS real_images,
        (SELECT COALESCE(SUM(size_bytes), 0) FROM repositories r WHERE r.namespace_id = n.id) AS real_size,
        (SELECT COUNT(*) FROM repositories r WHERE r.namespace_id = n.id AND r.image_count > 0) AS real_repos
       FROM namespaces n`,
  );
  for (const n of ns) {
    expect([
      n.trash_count,
      n.trash_size_bytes,
      n.image_count,
      n.size_bytes,
      n.repository_count,
    ]).toEqual([n.real_trash, n.real_trash_size, n.real_images, n.real_size, n.real_repos]);
  }
}

type Entry = { id: number; repository: string; digest: string };

function trashNewestFirst(handle: StoreHandle): Promise<Entry[]> {
  return selectRows<Entry>(
    handle.db,
    `SELECT e.id, r.name AS repository, e.digest FROM trash_entries e
     JOIN repositories r ON r.id = e.repository_id ORDER BY e.deleted_at DESC, e.id DESC`,
  );
}

/** Two copies of one seeded store: one restored one by one, the other as a set. */
async function twins(engine: Engine, seed: number) {
  const seeded = await openTestDatabase(engine);
  try {
    await seedTrash(createStore(seeded.handle.db), seed);
  } catch (error) {
    await seeded.dispose();
    throw error;
  }
  const copies = await copiesOfTestDatabase(seeded, 2);
  databases.push(...copies);
  const [a, b] = copies.map((c) => ({ handle: c.handle, store: createStore(c.handle.db) }));
  return { a: a!, b: b! };
}

const NOW = T0 + 86_400_000;
const at = { actor: 'tester', now: NOW };

/** Works a restore operation in chunks of `budget` to its end, as the runner would. */
async function restoreToEnd(
  store: Store,
  id: number,
  claim: { owner: string; leaseMs: number },
  budget: number,
) {
  let chunks = 0;
  for (;;) {
    chunks++;
    const { outcome } = await store.operations.runChunk(
      id,
      claim.owner,
      NOW,
      claim.leaseMs,
      (trx, op) => restoreOperationChunk(trx, op, budget, NOW, 1000),
    );
    if (outcome.finished) break;
  }
  const ended = await store.operations.finish(id, claim.owner, NOW, (trx, op) =>
    finishRestoreOperation(trx, op, NOW),
  );
  return { chunks, ended };
}

describe.each(testEngines())('restores on %s', (engine) => {
  describe('restoring a set of trash entries', () => {
    for (const seed of [1, 2, 3]) {
      it(`gives exactly what restoring them one by one newest-first gives (dataset ${seed})`, async () => {
        const { a, b } = await twins(engine, seed);
        const entries = await trashNewestFirst(a.handle);
        expect(entries.length).toBeGreaterThan(30);
        // Two of every three entries (a selection leaves some of the trash behind), and always
        // the two that remember the same tag.
        const both = [digest(`first-${seed}`), digest(`second-${seed}`)];
        const chosen = entries.filter((e, i) => i % 3 !== 1 || both.includes(e.digest));

        const oneByOne: { digest: string; tags: string[]; skipped: string[] }[] = [];
        for (const e of chosen) {
          const outcome = await a.store.trash.restore(
            'team',
            { repository: e.repository, digest: e.digest },
            at,
          );
          oneByOne.push({
            digest: e.digest,
            tags: outcome.restored.tags,
            skipped: outcome.skippedTags.map((s) => `${s.tag}→${s.heldBy}`),
          });
        }

        // The set in chunks that each commit on their own, as a long restore runs.
        const ids = chosen.map((e) => e.id);
        const asSet: typeof oneByOne = [];
        for (let i = 0; i < ids.length; i += 7) {
          const restored = await b.handle.db
            .transaction()
            .execute((trx) => restoreTrashEntriesById(trx, ids.slice(i, i + 7), NOW));
          for (const r of restored) {
            asSet.push({
              digest: r.digest,
              tags: r.tags,
              skipped: r.skippedTags.map((s) => `${s.tag}→${s.heldBy}`),
            });
          }
        }

        expect(asSet).toEqual(oneByOne);
        expect(await dump(b.handle)).toBe(await dump(a.handle));
        await expectCountersMatchRecount(b.handle);
        // The dataset did exercise the tag rule: someone's tag was taken.
        expect(oneByOne.some((r) => r.skipped.length > 0)).toBe(true);
      });
    }

    it('a tag two restored images remember goes to the one deleted last', async () => {
      const { b } = await twins(engine, 4);
      const restored = await b.store.trash.restoreMany(
        'team',
        [
          { repository: 'app', digest: digest('first-4') },
          { repository: 'app', digest: digest('second-4') },
        ],
        at,
      );
      expect(restored.map((r) => [r.digest, r.tags])).toEqual([
        [digest('second-4'), ['second', 'shared-tag']],
        [digest('first-4'), ['first']],
      ]);
      expect(restored[1]?.skippedTags).toEqual([
        {
          tag: 'shared-tag',
          heldBy: digest('second-4'),
          reason: expect.stringContaining('restored at the same time, which held it last'),
        },
        {
          tag: 'taken',
          heldBy: digest('holder-4'),
          reason: expect.stringContaining('now points to'),
        },
      ]);
    });

    it('links a restored signature to the image it names once both are back', async () => {
      const { b } = await twins(engine, 5);
      await b.store.trash.restoreMany(
        'team',
        [
          { repository: 'app', digest: digest('waiting-5') },
          { repository: 'app', digest: digest('late-5') },
        ],
        at,
      );
      const signature = await sql`
      SELECT top_level, signs_digest FROM manifests WHERE digest = ${digest('waiting-5')}`.execute(
        b.handle.db,
      );
      expect(signature.rows).toEqual([{ top_level: 0, signs_digest: digest('late-5') }]);
      await expectCountersMatchRecount(b.handle);
    });

    it('links a blob DELETEd while its image was in the trash again when the image comes back', async () => {
      const { a, b } = await twins(engine, 8);
      const late = (await trashNewestFirst(a.handle)).find((e) => e.digest === digest('late-8'))!;
      const config = digest('late-8-config');
      const linked = async (handle: StoreHandle) =>
        (
          await sql`
          SELECT COUNT(*) AS n FROM repository_blobs rb JOIN repositories r
          ON r.id = rb.repository_id WHERE r.name = 'app' AND rb.digest = ${config}`.execute(
            handle.db,
          )
        ).rows[0];
      expect(await linked(a.handle)).toEqual({ n: 0 });
      await a.store.trash.restore('team', { repository: 'app', digest: late.digest }, at);
      await b.handle.db
        .transaction()
        .execute((trx) => restoreTrashEntriesById(trx, [late.id], NOW));
      expect(await linked(a.handle)).toEqual({ n: 1 });
      expect(await linked(b.handle)).toEqual({ n: 1 });
    });

    it('restores all of a selection or none: one item not in the trash changes nothing', async () => {
      const { b } = await twins(engine, 6);
      const before = await dump(b.handle);
      const [first] = await trashNewestFirst(b.handle);
      for (const missing of [
        { repository: 'app', digest: digest('never-pushed') },
        { repository: 'no-such-repo', digest: digest('x') },
      ]) {
        await expect(
          b.store.trash.restoreMany('team', [first!, missing], at),
        ).rejects.toMatchObject({
          kind: 'not_found',
          details: { repository: missing.repository },
        });
      }
      // Past its 30 days, an entry counts as gone.
      await expect(
        b.store.trash.restoreMany('team', [first!], { actor: 'tester', now: T0 + 31 * 86_400_000 }),
      ).rejects.toMatchObject({ code: 'TRASH_ENTRY_EXPIRED' });
      expect(await dump(b.handle)).toBe(before);
      const audit = await b.store.audit.list({ limit: 100 });
      expect(audit.items.filter((e) => e.action === 'images.restore')).toEqual([]);
    });

    it('restoring a deleted repository brings it back in the listing with its images and size', async () => {
      const { b } = await twins(engine, 7);
      const before = await b.store.repositories.list('team', { sort: 'name', limit: 10 });
      const lib = before.items.find((r) => r.name === 'lib/core');
      await deleteRepositories(b.store, 'team', ['lib/core'], { actor: 'tester', now: NOW - 1 }, 5);
      const gone = await b.store.repositories.list('team', { sort: 'name', limit: 10 });
      expect(gone.items.map((r) => r.name)).not.toContain('lib/core');
      const inTrash = await b.store.trash.restorableInRepository('team', 'lib/core', NOW);
      const restored = await b.store.trash.restoreRepository('team', 'lib/core', at);
      expect(restored).toHaveLength(inTrash.entryIds.length);
      const after = await b.store.repositories.list('team', { sort: 'name', limit: 10 });
      const back = after.items.find((r) => r.name === 'lib/core');
      // Images the seed had deleted before come back too: more than were live before.
      expect(back?.imageCount).toBeGreaterThanOrEqual(lib?.imageCount ?? 1);
      expect(back?.sizeBytes).toBeGreaterThanOrEqual(lib?.sizeBytes ?? 1);
      await expectCountersMatchRecount(b.handle);
      expect(
        await selectRows(
          b.handle.db,
          `SELECT COUNT(*) AS n FROM trash_entries e JOIN repositories r ON r.id = e.repository_id
         WHERE r.name = 'lib/core'`,
        ),
      ).toEqual([{ n: 0 }]);
      const audit = await b.store.audit.list({ limit: 100 });
      expect(audit.items.find((e) => e.action === 'repository.restore')).toMatchObject({
        actor: 'tester',
        target: 'team/lib/core',
        details: { restored: restored.length, skippedTags: expect.any(Number) },
      });
      await expect(b.store.trash.restoreRepository('team', 'lib/core', at)).rejects.toMatchObject({
        code: 'TRASH_ENTRY_UNKNOWN',
      });
    });
  });

  describe('restoring a repository as an operation', () => {
    it('gives what restoring its entries one by one newest-first gives, chunk after chunk, and leaves out what is deleted after it started', async () => {
      const { a, b } = await twins(engine, 4);
      const inApp = (await trashNewestFirst(a.handle)).filter((e) => e.repository === 'app');
      expect(inApp.length).toBeGreaterThan(12);
      const [{ digest: late }] = (await selectRows<{ digest: string }>(
        a.handle.db,
        `SELECT m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id
       WHERE r.name = 'app' AND m.listed = 1 ORDER BY m.id LIMIT 1`,
      )) as [{ digest: string }];
      const deleteLate = (store: Store) =>
        store.images.trash('team', [{ repository: 'app', digest: late }], 'deleted', at);

      await deleteLate(a.store);
      const oneByOne: { digest: string; tags: string[] }[] = [];
      for (const e of inApp) {
        const outcome = await a.store.trash.restore(
          'team',
          { repository: e.repository, digest: e.digest },
          at,
        );
        oneByOne.push({ digest: e.digest, tags: outcome.restored.tags });
      }

      const claim = { owner: 'tester', leaseMs: 60_000 };
      const { id, total } = await startTrashRestore(
        b.handle.db,
        'team',
        { repository: 'app' },
        at,
        claim,
      );
      expect(total).toBe(inApp.length);
      // Deleted once the set is fixed: it stays in the trash.
      await deleteLate(b.store);
      const { chunks, ended } = await restoreToEnd(b.store, id, claim, 4);
      expect(chunks).toBe(Math.ceil(inApp.length / 4));
      const result = ended.result as { restored: number; images: typeof oneByOne };
      expect(result.restored).toBe(inApp.length);
      expect(result.images.map((i) => ({ digest: i.digest, tags: i.tags }))).toEqual(oneByOne);
      expect(await dump(b.handle)).toBe(await dump(a.handle));
      expect((await trashNewestFirst(b.handle)).map((e) => e.digest)).toContain(late);
      await expectCountersMatchRecount(b.handle);
    });

    it('an operation an earlier Berth started, with its set listed, is worked to its end', async () => {
      const { b } = await twins(engine, 5);
      const inApp = (await trashNewestFirst(b.handle)).filter((e) => e.repository === 'app');
      const claim = { owner: 'tester', leaseMs: 60_000 };
      const id = await b.handle.db.transaction().execute(async (trx) => {
        const created = await createOperation(trx, {
          kind: 'trash.restore',
          namespace: 'team',
          namespaceId: 1,
          target: 'team/app',
          actor: 'tester',
          params: { scope: 'repository', repository: 'app' },
          now: NOW,
          ...claim,
        });
        await appendOperationItemValues(
          trx,
          created,
          inApp.map((e) => ({ itemId: e.id, revision: null })),
        );
        return created;
      });
      const { ended } = await restoreToEnd(b.store, id, claim, 5);
      expect((ended.result as { restored: number }).restored).toBe(inApp.length);
      expect((await trashNewestFirst(b.handle)).filter((e) => e.repository === 'app')).toEqual([]);
      await expectCountersMatchRecount(b.handle);
    });
  });
});

// SQLite's query plans: PostgreSQL plans by its own statistics and has no EXPLAIN QUERY PLAN.
describe('query plans of a restore', () => {
  let dir: string;
  const handles: SqliteHandle[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-restore-'));
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  async function open(file: string): Promise<{ handle: SqliteHandle; store: Store }> {
    const handle = await openSqlite(file);
    handles.push(handle);
    return { handle, store: createStore(handle.db) };
  }

  /**
   * A registry as seeding leaves it (statistics gathered while every manifests.trash_entry_id
   * was NULL), with one repository since deleted by a plain delete (retention_run_id NULL). Counted as one key, those NULLs once made the
   * planner scan every manifest for each restore chunk (80 s for a 100,000-image repository
   * restore on a freshly seeded million images).
   */
  async function freshlySeeded(): Promise<SqliteHandle> {
    const { handle, store } = await open(path.join(dir, 'plans.db'));
    bulkLoadSynthetic(handle.raw, {
      namespaces: 2,
      repositoriesPerNamespace: 20,
      images: 4000,
      bigRepositoryImages: 300,
      region: 'local',
      now: NOW - 60_000,
      seed: 3,
    });
    // Seeding ends with ANALYZE; deletes change no table's row count, so nothing re-analyzes.
    await deleteRepositories(store, 'bench-0001', ['big/monorepo'], { actor: 't', now: NOW }, 500);
    return handle;
  }
  const plan = (handle: SqliteHandle, query: { sql: string; parameters: readonly unknown[] }) =>
    (
      handle.raw.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(query.parameters) as {
        detail: string;
      }[]
    ).map((r) => r.detail);

  it("making the chunk's manifests live looks them up by trash entry, never scans them all", async () => {
    const handle = await freshlySeeded();
    const steps = plan(handle, reviveManifestsOfEntries(handle.db, [1, 2]).compile(handle.db));
    expect(
      steps.some((s) =>
        /^SEARCH manifests USING (COVERING )?INDEX manifests_trash_entry \(trash_entry_id=\?\)$/.test(
          s,
        ),
      ),
    ).toBe(true);
    expect(steps.filter((s) => s.startsWith('SCAN manifests'))).toEqual([]);
  });

  it('relinking blobs looks up the manifests of the chunk, never scans them all', async () => {
    const handle = await freshlySeeded();
    const steps = plan(handle, relinkBlobsOfEntries(handle.db, [1, 2], NOW).compile(handle.db));
    expect(steps).toContain('SEARCH m USING INDEX manifests_trash_entry (trash_entry_id=?)');
    expect(steps.indexOf('SEARCH e USING INTEGER PRIMARY KEY (rowid=?)')).toBeLessThan(
      steps.indexOf('SEARCH m USING INDEX manifests_trash_entry (trash_entry_id=?)'),
    );
    expect(steps.filter((s) => s.startsWith('SCAN m'))).toEqual([]);
  });

  it("a run restore reads only its run's entries, with the trash full of plain deletes", async () => {
    const handle = await freshlySeeded();
    // PRAGMA optimize re-analyzes trash_entries once it has grown: every retention_run_id NULL.
    handle.raw.exec('ANALYZE trash_entries');
    const params = { scope: 'retention-run', runId: 1, deletedImages: 9 } as const;
    for (const after of [null, [NOW, 10] as [number, number]]) {
      const steps = plan(handle, nextEntriesQuery(params, 100, after, NOW, 250).compile(handle.db));
      expect(
        steps.some((s) => s.startsWith('SEARCH e USING INDEX trash_retention_run_deleted (')),
      ).toBe(true);
    }
  });

  it('each chunk reads its entries in order from where the last one stopped', async () => {
    const { handle } = await open(path.join(dir, 'plans.db'));
    handle.raw.exec('ANALYZE');
    const scopes = [
      { scope: 'repository', repository: 'app', repositoryId: 1, index: 'trash_repo_deleted' },
      { scope: 'retention-run', runId: 1, deletedImages: 9, index: 'trash_retention_run_deleted' },
    ] as const;
    for (const { index, ...params } of scopes) {
      for (const after of [null, [NOW, 10] as [number, number]]) {
        const steps = plan(
          handle,
          nextEntriesQuery(params, 100, after, NOW, 250).compile(handle.db),
        );
        expect(steps.some((s) => s.startsWith(`SEARCH e USING INDEX ${index} (`))).toBe(true);
        expect(steps.filter((s) => s.includes('TEMP B-TREE'))).toEqual([]);
      }
    }
  });
});
