import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Db } from './database.js';
import type { Engine } from './store-handle.js';
import { type TestDatabase, openTestDatabase, testEngines } from './testing/engines.js';
import { createStore, type Store } from './store.js';
import type { IngestManifest } from './images-store.js';
import { manifestColumns } from './images-store.js';
import { trashImages } from './trash-images.js';
import { trashOneImage } from './testing/per-image-trash.js';

/*
 * Set-based trashing must give exactly what trashing the same images one by one gave before
 * it (testing/per-image-trash.ts): on generated repositories with shared layers, indexes that
 * share platform images, nested indexes, referrers of referrers, tag signatures and moved tags.
 */

const T0 = Date.UTC(2026, 0, 1);
const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const hexOf = (d: string) => d.slice('sha256:'.length);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.dispose();
});

async function openStore(engine: Engine): Promise<{ store: Store; db: Db }> {
  const database = await openTestDatabase(engine);
  databases.push(database);
  const { handle } = database;
  const store = createStore(handle.db);
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create(
    { name: 'team', region: 'local', quotaBytes: null },
    { actor: 't', now: T0 },
  );
  return { store, db: handle.db };
}

/** Pushes the same generated repositories into a store; deterministic for a seed. */
async function generate(store: Store, seed: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  let now = T0;
  let n = 0;
  const push = async (repo: string, m: Partial<IngestManifest>, tags: string[]) => {
    n++;
    now += 1000;
    const name = `${repo}-${seed}-${n}`;
    const full: IngestManifest = {
      digest: digest(name),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: null,
      manifestSize: 300 + n,
      blobs: [
        { digest: digest(`shared-${Math.floor(random() * 4)}`), size: 10_000, mediaType: 'layer' },
        { digest: digest(`${name}-layer`), size: 100 + n, mediaType: 'layer' },
      ],
      children: [],
      subject: null,
      createdAt: now - 5000,
      content: Buffer.from(`{"name":"${name}"}`),
      ...m,
    };
    for (const b of full.blobs) await store.registry.linkBlob('team', repo, b, now);
    await store.images.ingest('team', repo, full, tags, { actor: 'tester', now });
    return full.digest;
  };
  for (const repo of ['app', 'web']) {
    const images: string[] = [];
    const platforms: string[] = [];
    const indexes: string[] = [];
    for (let i = 0; i < 24; i++) {
      // Tags repeat, so later pushes move them off earlier images.
      images.push(await push(repo, {}, random() < 0.6 ? [`v${Math.floor(random() * 8)}`] : []));
    }
    for (let i = 0; i < 12; i++) {
      platforms.push(
        await push(
          repo,
          { platform: { os: 'linux', architecture: pick(['amd64', 'arm64']), variant: null } },
          [],
        ),
      );
    }
    for (let i = 0; i < 8; i++) {
      // Two or three platform images each, drawn from a small pool: indexes share children.
      const kids = [...new Set([pick(platforms), pick(platforms), pick(platforms)])];
      indexes.push(
        await push(
          repo,
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            blobs: [],
            children: kids.map((d) => ({
              digest: d,
              platform: { os: 'linux', architecture: 'amd64', variant: null },
            })),
          },
          random() < 0.5 ? [`idx${i % 3}`] : [],
        ),
      );
    }
    for (let i = 0; i < 3; i++) {
      // Nested: an index of two indexes (and so of their platform images).
      indexes.push(
        await push(
          repo,
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            blobs: [],
            children: [...new Set([pick(indexes), pick(indexes)])].map((d) => ({
              digest: d,
              platform: null,
            })),
          },
          [`nested${i}`],
        ),
      );
    }
    const subjects = [...images, ...indexes, ...platforms];
    const referrers: string[] = [];
    for (let i = 0; i < 14; i++) {
      // Some referrers are about referrers (a signature of an SBOM).
      const subject = referrers.length > 0 && random() < 0.3 ? pick(referrers) : pick(subjects);
      referrers.push(
        await push(
          repo,
          { subject, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' },
          random() < 0.3 ? [`ref${i}`] : [],
        ),
      );
    }
    for (let i = 0; i < 6; i++) {
      const signed = pick([...images, ...indexes]);
      await push(repo, {}, [`sha256-${hexOf(signed)}.${pick(['sig', 'att', 'sbom'])}`]);
    }
    // A few more tag moves after everything exists.
    for (let i = 0; i < 4; i++) await push(repo, {}, [`v${i}`, `idx${i % 3}`]);
  }
}

/** Everything trashing touches, in a form two stores can be compared in. */
async function snapshot(db: Db) {
  const rows = async (q: string) => (await sql.raw<Record<string, unknown>>(q).execute(db)).rows;
  return {
    manifests: await rows(
      'SELECT id, state, listed, top_level, trash_entry_id, revision FROM manifests ORDER BY id',
    ),
    tags: await rows(
      'SELECT repository_id, name, manifest_id FROM tags ORDER BY repository_id, name',
    ),
    trash: await rows(
      'SELECT id, namespace_id, repository_id, manifest_id, digest, media_type, tags, size_bytes, deleted_at, expires_at, reason, actor, retention_run_id FROM trash_entries ORDER BY id',
    ),
    trashTags: await rows(
      'SELECT trash_entry_id, manifest_id, repository_id, tag, deleted_at FROM trash_tags ORDER BY trash_entry_id, manifest_id, tag',
    ),
    children: await rows(
      'SELECT parent_id, child_id, position FROM manifest_children ORDER BY parent_id, child_id',
    ),
    repositories: await rows('SELECT id, image_count, size_bytes FROM repositories ORDER BY id'),
    namespaces: await rows(
      'SELECT id, repository_count, image_count, size_bytes, trash_count, trash_size_bytes FROM namespaces ORDER BY id',
    ),
  };
}

/** The maintained counters recounted from the rows. */
async function recount(db: Db) {
  const rows = async (q: string) => (await sql.raw<Record<string, unknown>>(q).execute(db)).rows;
  return {
    repositories: await rows(`
      SELECT r.id, (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS image_count,
        (SELECT coalesce(sum(size_bytes), 0) FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1) AS size_bytes
      FROM repositories r ORDER BY r.id`),
    namespaces: await rows(`
      SELECT n.id,
        (SELECT count(*) FROM repositories r WHERE r.namespace_id = n.id AND EXISTS
          (SELECT 1 FROM manifests m WHERE m.repository_id = r.id AND m.listed = 1)) AS repository_count,
        (SELECT count(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.namespace_id = n.id AND m.listed = 1) AS image_count,
        (SELECT coalesce(sum(m.size_bytes), 0) FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.namespace_id = n.id AND m.listed = 1) AS size_bytes,
        (SELECT count(*) FROM trash_entries t WHERE t.namespace_id = n.id) AS trash_count,
        (SELECT coalesce(sum(size_bytes), 0) FROM trash_entries t WHERE t.namespace_id = n.id) AS trash_size_bytes
      FROM namespaces n ORDER BY n.id`),
  };
}

/** Images to delete, in a random order: top-level ones, and some referrers on their own. */
async function chooseSeeds(db: Db, seed: number, fraction: number) {
  const random = rng(seed * 7 + 1);
  const rows = await db
    .selectFrom('manifests')
    .select([...manifestColumns, 'subject_digest'])
    .where('state', '=', 'live')
    .where((eb) => eb.or([eb('listed', '=', 1), eb('subject_digest', 'is not', null)]))
    .orderBy('id')
    .execute();
  const chosen = rows.filter(() => random() < fraction);
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
  }
  return chosen;
}

async function idsOf(db: Db, repositoryId: number) {
  const repo = await db
    .selectFrom('repositories')
    .selectAll()
    .where('id', '=', repositoryId)
    .executeTakeFirstOrThrow();
  return { namespaceId: repo.namespace_id, repositoryId, repositoryName: repo.name };
}

describe.each(testEngines())('set-based trash on %s', (engine) => {
  for (const [seed, fraction] of [
    [1, 0.3],
    [2, 0.6],
    [3, 1],
    [4, 0.15],
  ] as const) {
    it(`equals trashing one by one (dataset ${seed}, ${fraction * 100}% of the images)`, async () => {
      const one = await openStore(engine);
      const set = await openStore(engine);
      await generate(one.store, seed);
      await generate(set.store, seed);
      expect(await snapshot(set.db)).toEqual(await snapshot(one.db));
      const seeds = await chooseSeeds(one.db, seed, fraction);
      expect(seeds.length).toBeGreaterThan(5);
      const ctx = { actor: 'user:tester', now: T0 + 10_000_000 };

      // One by one: each image that is still live and not held by a live index, in order.
      await one.db.transaction().execute(async (trx) => {
        for (const s of seeds) {
          const now = await trx
            .selectFrom('manifests')
            .select('state')
            .where('id', '=', s.id)
            .executeTakeFirstOrThrow();
          if (now.state !== 'live') continue;
          const heldBy = await trx
            .selectFrom('manifest_children')
            .innerJoin('manifests', 'manifests.id', 'manifest_children.parent_id')
            .select('manifests.id')
            .where('manifest_children.child_id', '=', s.id)
            .where('manifests.state', '=', 'live')
            .executeTakeFirst();
          if (heldBy) continue;
          await trashOneImage(trx, await idsOf(trx, s.repository_id), s, 'deleted', ctx);
        }
      });
      // As a set: one call per repository, the seeds in the same order.
      await set.db.transaction().execute(async (trx) => {
        for (const repositoryId of [...new Set(seeds.map((s) => s.repository_id))]) {
          await trashImages(
            trx,
            await idsOf(trx, repositoryId),
            seeds.filter((s) => s.repository_id === repositoryId),
            'deleted',
            ctx,
            { unavailable: 'skip' },
          );
        }
      });
      const expected = await snapshot(one.db);
      // Both interleave repositories differently, so trash entry ids differ; compare by content.
      const byManifest = <T extends { manifest_id?: unknown }>(rows: T[]) =>
        [...rows].sort((a, b) => Number(a.manifest_id) - Number(b.manifest_id));
      const actual = await snapshot(set.db);
      const entryMap = (s: typeof actual) =>
        new Map(
          s.trash.map((t) => [
            Number((t as { id: number }).id),
            Number((t as { manifest_id: number }).manifest_id),
          ]),
        );
      const normalize = (s: typeof actual) => {
        const m = entryMap(s);
        return {
          ...s,
          manifests: s.manifests.map((r) => ({
            ...r,
            trash_entry_id: r.trash_entry_id === null ? null : m.get(Number(r.trash_entry_id)),
          })),
          trash: byManifest(s.trash.map(({ id: _id, ...rest }) => rest)),
          trashTags: s.trashTags
            .map((t) => ({ ...t, trash_entry_id: m.get(Number(t.trash_entry_id)) }))
            .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        };
      };
      expect(normalize(actual)).toEqual(normalize(expected));
      expect(actual.trash.length).toBeGreaterThan(3);
      const counted = await recount(set.db);
      expect(actual.repositories).toEqual(counted.repositories);
      expect(actual.namespaces).toEqual(counted.namespaces);
    });
  }

  it('refuses a request naming an image an earlier one took along, or a platform image', async () => {
    const { store, db } = await openStore(engine);
    await generate(store, 5);
    const referrer = await db
      .selectFrom('manifests as r')
      .innerJoin('manifests as s', (j) =>
        j
          .onRef('s.digest', '=', 'r.subject_digest')
          .onRef('s.repository_id', '=', 'r.repository_id'),
      )
      .innerJoin('repositories', 'repositories.id', 's.repository_id')
      .select(['r.digest as referrer', 's.digest as subject', 'repositories.name'])
      .where('s.listed', '=', 1)
      .executeTakeFirstOrThrow();
    const ctx = { actor: 'user:tester', now: T0 + 10_000_000 };
    await expect(
      store.images.trash(
        'team',
        [
          { repository: referrer.name, digest: referrer.subject },
          { repository: referrer.name, digest: referrer.referrer },
        ],
        'deleted',
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'IMAGE_IN_TRASH' });
    const child = await db
      .selectFrom('manifest_children')
      .innerJoin('manifests', 'manifests.id', 'manifest_children.child_id')
      .innerJoin('repositories', 'repositories.id', 'manifests.repository_id')
      .select(['manifests.digest', 'repositories.name'])
      .executeTakeFirstOrThrow();
    await expect(
      store.images.trash(
        'team',
        [{ repository: child.name, digest: child.digest }],
        'deleted',
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'IMAGE_IN_INDEX' });
    // Nothing of either request happened.
    expect(
      Number(
        (await sql<{ n: number }>`SELECT count(*) AS n FROM trash_entries`.execute(db)).rows[0]?.n,
      ),
    ).toBe(0);
  });
});
