import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYNTHETIC_CREATED, digestOf, syntheticImage } from '../testing/synthetic-manifests.js';
import type { SqliteHandle } from '../connect.js';
import type { Engine, StoreHandle } from '../store-handle.js';
import {
  type TestDatabase,
  openTestDatabase,
  selectRows,
  testEngines,
} from '../testing/engines.js';
import { counterMismatches } from '../counter-check.js';
import { createStore, type Store } from '../store.js';
import type { IngestManifest } from '../images-store.js';
import { TEST_CLAIM, runOperationUntilItFails, undoOperation } from '../testing/run-operation.js';
import {
  failRepositoryDelete,
  finishRepositoryDelete,
  repositoryDeleteChunk,
  repositoryDeleteItems,
  startRepositoryDelete,
} from './repository-delete.js';
import {
  failRetentionRun,
  finishRetentionRun,
  retentionRunChunk,
} from '../retention/retention-run-operation.js';
import { undoEntriesQuery } from './trashing-undo.js';
import { failTrashInsertsAfter } from '../testing/fault-injection.js';

const T0 = SYNTHETIC_CREATED;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const digest = digestOf;
const at = (now: number) => ({ actor: 'tester', now });
const deleteKind = {
  items: repositoryDeleteItems,
  chunk: repositoryDeleteChunk,
  finish: finishRepositoryDelete,
};

const image = syntheticImage;

let database: TestDatabase;
let handle: StoreHandle;
let store: Store;
let now: number;

async function open(engine: Engine) {
  database = await openTestDatabase(engine);
  handle = database.handle;
  store = createStore(handle.db);
  now = T0;
}

const tick = () => at((now += 1000));

async function push(repo: string, m: IngestManifest, tags: string[]) {
  for (const b of m.blobs) await store.registry.linkBlob('team', repo, b, now);
  return store.images.ingest('team', repo, m, tags, tick());
}

/**
 * Repository "app" with what a delete takes along: shared layers, referrers, a cosign tag
 * signature, an index whose platform images it takes too, tags; three images already in its
 * trash (which must stay there); and "other", which nothing touches.
 */
async function seed(): Promise<void> {
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, tick());
  const shared = ['base-os', 'runtime', 'libs'];
  for (let i = 0; i < 24; i++) {
    const tags = i % 3 === 0 ? [`v${i}`] : [];
    if (i === 23) tags.push('latest');
    await push(
      'app',
      image(`img-${i}`, [shared[i % 3]!, `img-${i}-layer`], { createdAt: T0 + i * 60_000 }),
      tags,
    );
    if (i % 5 === 0) {
      await push(
        'app',
        image(`img-${i}-sbom`, [`img-${i}-sbom`], { subject: digest(`img-${i}`) }),
        [],
      );
    }
  }
  await push('app', image('signed', ['libs']), ['signed']);
  await push('app', image('signed-sig', ['sig']), [`${digest('signed').replace(':', '-')}.sig`]);
  for (const p of ['amd', 'arm']) await push('app', image(`p-${p}`, ['base-os']), []);
  await push(
    'app',
    {
      ...image('multi', []),
      mediaType: INDEX,
      blobs: [],
      children: ['amd', 'arm'].map((p, i) => ({
        digest: digest(`p-${p}`),
        platform: { os: 'linux', architecture: `arch${i}`, variant: null },
      })),
    },
    ['multi'],
  );
  for (const name of ['gone-1', 'gone-2', 'gone-3']) {
    await push('app', image(name, ['runtime']), [name === 'gone-1' ? 'old' : name]);
    await store.images.trash(
      'team',
      [{ repository: 'app', digest: digest(name) }],
      'deleted',
      tick(),
    );
  }
  for (let i = 0; i < 3; i++) await push('other', image(`o-${i}`, ['base-os']), [`o${i}`]);
}

/**
 * What a delete and its undo change, in a stable order. Revisions and the times a tag or a
 * blob link was last written move on; what the images, tags, trash and counters are must not.
 */
async function dump(): Promise<string> {
  const all = (q: string) => selectRows(handle.db, q);
  return JSON.stringify({
    manifests: await all(
      `SELECT id, state, listed, top_level, trash_entry_id, signs_digest, signs_kind
       FROM manifests ORDER BY id`,
    ),
    tags: await all('SELECT repository_id, name, manifest_id FROM tags ORDER BY 1, 2'),
    repositoryBlobs: await all('SELECT repository_id, digest FROM repository_blobs ORDER BY 1, 2'),
    trash: await all('SELECT id, manifest_id, tags FROM trash_entries ORDER BY id'),
    trashTags: await all('SELECT trash_entry_id, tag, manifest_id FROM trash_tags ORDER BY 1, 2'),
    repositories: await all('SELECT id, image_count, size_bytes FROM repositories ORDER BY id'),
    namespaces: await all(
      `SELECT id, image_count, size_bytes, repository_count, trash_count, trash_size_bytes
       FROM namespaces ORDER BY id`,
    ),
  });
}

const failAfterEntries = (after: number) => failTrashInsertsAfter(handle, after);

const entriesOf = async (opId: number) =>
  (
    await selectRows<{ n: number }>(
      handle.db,
      `SELECT count(*) AS n FROM trash_entries WHERE operation_id = ${opId}`,
    )
  )[0]!.n;

describe.each(testEngines())('on %s', (engine) => {
  beforeEach(() => open(engine));
  afterEach(() => database.dispose());

  describe('a failed repository delete is undone', () => {
    for (const crash of [false, true]) {
      it(`puts the store back exactly as it was before the delete${crash ? ', also when the undo itself is cut short and resumed' : ''}`, async () => {
        await seed();
        const before = await dump();
        await failAfterEntries(12);
        const id = await startRepositoryDelete(handle.db, 'team', ['app'], tick(), TEST_CLAIM);
        const err = await runOperationUntilItFails(store, id, deleteKind, tick().now, 4);
        expect(String(err)).toMatch(/injected failure/);
        const cut = await store.operations.require(id);
        // Some chunks committed: part of the repository is in the trash.
        expect(cut.done).toBeGreaterThan(0);
        expect(cut.done).toBeLessThan(cut.total);
        expect(await entriesOf(id)).toBe(12);
        expect(await dump()).not.toBe(before);

        const error = { code: 'OPERATION_FAILED', message: 'injected failure' };
        let ended;
        if (crash) {
          // One chunk of the undo commits, then the process dies: the operation says it is
          // being undone, and whoever resumes it finishes the undo.
          const half = await undoOperation(store, id, error, failRepositoryDelete, tick().now, {
            budget: 5,
            stopAfter: 1,
          });
          expect(half).toMatchObject({ state: 'running', undo: { error } });
          expect(half.undo!.below).toBeGreaterThan(1);
          expect(await entriesOf(id)).toBeGreaterThan(0);
          expect(await entriesOf(id)).toBeLessThan(12);
          expect(await counterMismatches(handle.db)).toEqual([]);
          ended = await undoOperation(store, id, error, failRepositoryDelete, tick().now, {
            budget: 5,
            begin: false,
          });
        } else {
          ended = await undoOperation(store, id, error, failRepositoryDelete, tick().now, {
            budget: 5,
          });
        }
        expect(ended).toMatchObject({
          state: 'failed',
          error,
          undo: { below: 1, restored: 12, skippedTags: 0 },
        });
        expect(await entriesOf(id)).toBe(0);
        expect(await dump()).toBe(before);
        expect(await counterMismatches(handle.db)).toEqual([]);
        const audit = await store.audit.list({ limit: 100 });
        expect(audit.items.find((e) => e.action === 'repository.delete')).toMatchObject({
          outcome: 'failure',
          details: {
            repositories: ['app'],
            error: 'injected failure',
            rolledBack: { images: 12, skippedTags: 0 },
            operationId: String(id),
          },
        });
        // Its set went with it.
        const items = await selectRows(
          handle.db,
          `SELECT count(*) AS n FROM operation_items WHERE operation_id = ${id}`,
        );
        expect(items).toEqual([{ n: 0 }]);
      });
    }

    it('leaves in the trash what someone else deleted first, and a tag someone took meanwhile with them', async () => {
      await seed();
      await failAfterEntries(8);
      const id = await startRepositoryDelete(handle.db, 'team', ['app'], tick(), TEST_CLAIM);
      while (
        !(await store.operations.fillStep(id, TEST_CLAIM.owner, now, 60_000, repositoryDeleteItems))
          .complete
      );
      // Deleted by hand after the set was fixed, before the chunk that would have taken it.
      await store.images.trash(
        'team',
        [{ repository: 'app', digest: digest('img-1') }],
        'deleted',
        tick(),
      );
      const err = await runOperationUntilItFails(store, id, deleteKind, tick().now, 4);
      expect(String(err)).toMatch(/injected failure/);
      const trashedByIt = await selectRows<{ digest: string }>(
        handle.db,
        `SELECT m.digest FROM trash_entries e JOIN manifests m ON m.id = e.manifest_id
         WHERE e.operation_id = ${id}`,
      );
      expect(trashedByIt.map((t) => t.digest)).toContain(digest('img-0'));
      // Two chunks of four committed, one image of them passed over: it was gone already.
      expect(trashedByIt).toHaveLength(7);
      // v0 was img-0's; a new image takes it while img-0 is in the trash.
      await push('app', image('newcomer', ['runtime']), ['v0']);
      const ended = await undoOperation(
        store,
        id,
        { code: 'OPERATION_FAILED', message: 'injected failure' },
        failRepositoryDelete,
        tick().now,
      );
      expect(ended.undo).toMatchObject({ restored: 7, skippedTags: 1 });
      const state = (name: string) =>
        selectRows(handle.db, `SELECT state FROM manifests WHERE digest = '${digest(name)}'`);
      expect(await state('img-0')).toEqual([{ state: 'live' }]);
      expect(await state('img-1')).toEqual([{ state: 'trashed' }]);
      const holder = await selectRows(
        handle.db,
        `SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id WHERE t.name = 'v0'`,
      );
      expect(holder).toEqual([{ digest: digest('newcomer') }]);
      expect(await counterMismatches(handle.db)).toEqual([]);
    });
  });

  describe('a failed retention confirm is undone', () => {
    it('brings back what its committed chunks deleted and fails the run, saying so', async () => {
      await seed();
      const before = await dump();
      const rules = {
        keepCount: 2,
        retainUntagged: false,
        excludeTags: [],
        excludeRepositories: [],
        protectUnscannedDays: null,
      };
      const preview = await store.retention.createPreview('team', rules, [], tick(), 3_600_000);
      const id = await store.retention.confirm('team', preview.id, [], tick(), TEST_CLAIM);
      await failAfterEntries(6);
      const err = await runOperationUntilItFails(
        store,
        id,
        { chunk: retentionRunChunk, finish: finishRetentionRun },
        tick().now,
        3,
      );
      expect(String(err)).toMatch(/injected failure/);
      expect(await entriesOf(id)).toBe(6);
      const error = { code: 'OPERATION_FAILED', message: 'injected failure' };
      const ended = await undoOperation(store, id, error, failRetentionRun, tick().now, {
        budget: 4,
      });
      expect(ended).toMatchObject({ state: 'failed', undo: { below: 1, restored: 6 } });
      expect(await dump()).toBe(before);
      expect(await counterMismatches(handle.db)).toEqual([]);
      const runId = (ended.params as { runId: number }).runId;
      const run = await store.retention.getRun('team', runId);
      expect(run.run).toMatchObject({ status: 'failed', error: 'injected failure', inTrash: 0 });
      const audit = await store.audit.list({ limit: 100 });
      expect(audit.items.find((e) => e.action === 'retention.run')).toMatchObject({
        outcome: 'failure',
        details: { runId, rolledBack: { images: 6, skippedTags: 0 } },
      });
    });
  });
});

// Query plans are SQLite's (PostgreSQL plans by its own statistics): SQLite-only.
describe('on sqlite', () => {
  let raw: SqliteHandle;
  beforeEach(async () => {
    await open('sqlite');
    raw = handle as SqliteHandle;
  });
  afterEach(() => database.dispose());

  it('an undo chunk reads its range of the set and one trash entry per position, never a scan', async () => {
    await seed();
    const compiled = undoEntriesQuery(handle.db, 7, 1, 500).compile(handle.db);
    const plan = raw.raw
      .prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`)
      .all(...compiled.parameters) as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual([
      expect.stringMatching(
        /^SEARCH i USING PRIMARY KEY \(operation_id=\? AND seq>\? AND seq<\?\)$/,
      ),
      expect.stringMatching(
        /^SEARCH e USING INDEX sqlite_autoindex_trash_entries_\d+ \(manifest_id=\?\)$/,
      ),
    ]);
  });
});
