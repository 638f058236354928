import { compileRules } from '@berth/domain';
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

const rules = compileRules({
  keepCount: 10,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
});

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
});
