import { compileRules } from '@berth/domain';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestDatabase,
  loadSynthetic,
  openTestDatabase,
  selectRows,
  testEngines,
} from '../testing/engines.js';
import { evaluateRepositories, scannedImage } from './evaluate.js';

/** More images than one evaluation batch (5,000), in one repository. */
const BIG = 11_000;
const DATASET = {
  namespaces: 1,
  repositoriesPerNamespace: 3,
  images: BIG + 200,
  bigRepositoryImages: BIG,
  region: 'local',
  now: Date.UTC(2026, 0, 15),
  seed: 3,
};

const rules = compileRules(
  {
    keepCount: 10,
    retainUntagged: false,
    excludeTags: [],
    excludeRepositories: [],
    protectUnscannedDays: null,
  },
  DATASET.now,
);

describe.each(testEngines())('evaluating on %s', (engine) => {
  let database: TestDatabase;
  let big: { id: number; namespace_id: number };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    await loadSynthetic(database, DATASET);
    const [row] = await selectRows<typeof big>(
      database.handle.db,
      `SELECT id, namespace_id FROM repositories WHERE name = 'big/monorepo'`,
    );
    big = { id: Number(row?.id), namespace_id: Number(row?.namespace_id) };
  });

  afterAll(() => database.dispose());

  /** Every image evaluated, with its tags, from the repositories `ids`. */
  async function evaluated(ids: number[]) {
    const seen: { key: number; tags: string[] }[] = [];
    for await (const { verdicts } of evaluateRepositories(
      database.handle.db,
      big.namespace_id,
      rules,
      [],
      { ids: new Set(ids) },
    )) {
      for (const v of verdicts) {
        const image = scannedImage(v);
        seen.push({ key: image.key, tags: [...image.tags].sort() });
      }
    }
    return seen.sort((a, b) => a.key - b.key);
  }

  /** The same, read row by row with plain SQL. */
  async function expected(ids: number[]) {
    const list = ids.join(',');
    const listed = await selectRows<{ id: number }>(
      database.handle.db,
      `SELECT id FROM manifests WHERE repository_id IN (${list}) AND listed = 1 ORDER BY id`,
    );
    const tags = new Map<number, string[]>();
    for (const t of await selectRows<{ manifest_id: number; name: string }>(
      database.handle.db,
      `SELECT manifest_id, name FROM tags WHERE repository_id IN (${list}) ORDER BY name`,
    )) {
      const id = Number(t.manifest_id);
      tags.set(id, [...(tags.get(id) ?? []), t.name]);
    }
    expect(tags.size).toBeGreaterThan(0);
    return listed.map((r) => ({ key: Number(r.id), tags: tags.get(Number(r.id)) ?? [] }));
  }

  it('reads a repository larger than a batch in ranges, letting the event loop turn, and sees each image once with its tags', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('turn'));
    for await (const _ of evaluateRepositories(database.handle.db, big.namespace_id, rules, [], {
      ids: new Set([big.id]),
    })) {
      order.push('verdicts');
    }
    // One read of the whole repository would decide it before any timer or request got a turn.
    expect(order).toEqual(['turn', 'verdicts']);
    const want = await expected([big.id]);
    expect(want.length).toBeGreaterThan(5_000);
    expect(await evaluated([big.id])).toEqual(want);
  });

  it('reads a batch of small repositories with the tags of each image', async () => {
    const others = (
      await selectRows<{ id: number }>(
        database.handle.db,
        `SELECT id FROM repositories WHERE id <> ${big.id} AND image_count > 0`,
      )
    ).map((r) => Number(r.id));
    expect(others.length).toBeGreaterThan(1);
    expect(await evaluated(others)).toEqual(await expected(others));
  });

  it('reads each image’s last successful scan in the same batches, and only for rules that ask', async () => {
    const db = database.handle.db;
    const images = await selectRows<{ id: number; digest: string }>(
      db,
      `SELECT id, digest FROM manifests WHERE listed = 1 ORDER BY id`,
    );
    const NOW = DATASET.now;
    const DAY = 86_400_000;
    // Of every image the newest *complete* result of its own digest counts: a newer failed
    // one does not, nor a result left by a purged image whose id was given to a new one.
    const want = new Map<number, number | null>();
    const rows: string[] = [];
    const result = (id: number, digest: string, at: number, status: string) =>
      rows.push(
        `(${id}, 'bench-0001', 'r', '${digest}', ${at}, ${at + 30 * DAY}, '${status}', NULL, NULL, 0, 0, 0, 0, 0, 0, 0, '[]')`,
      );
    for (const [k, { id, digest }] of images.entries()) {
      const key = Number(id);
      want.set(key, null);
      if (k % 3 === 0) {
        const at = NOW - (k % 40) * DAY - 1;
        result(key, digest, at - DAY, 'complete');
        result(key, digest, at, 'complete');
        want.set(key, at);
      }
      if (k % 5 === 0) result(key, digest, NOW - 60_000, 'failed');
      if (k % 7 === 0) result(key, 'sha256:purged', NOW, 'complete');
    }
    for (let i = 0; i < rows.length; i += 2_000) {
      await sql
        .raw(
          `INSERT INTO scan_results (manifest_id, namespace, repository, digest, generated_at,
            expires_at, status, error, distro, packages, critical, high, medium, low, unknown,
            fixable, inventory) VALUES ${rows.slice(i, i + 2_000).join(', ')}`,
        )
        .execute(db);
    }
    const all = new Set(images.map((r) => Number(r.id)));
    const read = async (protectUnscannedDays: number | null) => {
      const seen = new Map<number, number | null | undefined>();
      const protectedKeys = new Set<number>();
      const compiled = compileRules({ ...rules.rules, protectUnscannedDays }, NOW);
      const repositories = await selectRows<{ id: number }>(
        db,
        `SELECT id FROM repositories WHERE namespace_id = ${big.namespace_id}`,
      );
      for await (const { verdicts } of evaluateRepositories(db, big.namespace_id, compiled, [], {
        ids: new Set(repositories.map((r) => Number(r.id))),
      })) {
        for (const v of verdicts) {
          const image = scannedImage(v);
          seen.set(image.key, image.lastScannedAt);
          if (v.decision === 'protected') protectedKeys.add(image.key);
        }
      }
      return { seen, protectedKeys };
    };
    const on = await read(10);
    expect(new Set(on.seen.keys())).toEqual(all);
    expect(on.seen).toEqual(want);
    // Everything unscanned, or scanned more than 10 days before: the rules protect it.
    const stale = [...want].filter(([, at]) => at === null || at < NOW - 10 * DAY);
    expect(stale.length).toBeGreaterThan(images.length / 2);
    expect(on.protectedKeys).toEqual(new Set(stale.map(([key]) => key)));
    // Off: nothing is read for any image, and nothing is protected by it.
    const off = await read(null);
    expect([...off.seen.values()].every((at) => at === undefined)).toBe(true);
    expect(off.protectedKeys.size).toBe(0);
  });
});
