import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkLoadSynthetic } from '../bulk-load.js';
import { bulkLoadSyntheticPostgres } from '../bulk-load-postgres.js';
import type { SqliteHandle } from '../connect.js';
import {
  type TestDatabase,
  openTestDatabase,
  selectRows,
  testEngines,
} from '../testing/engines.js';
import { reclaimableBytes, reclaimableBytesOnPostgres } from './reclaim.js';

const DATASET = {
  namespaces: 3,
  repositoriesPerNamespace: 20,
  images: 3000,
  bigRepositoryImages: 600,
  region: 'local',
  now: Date.UTC(2026, 0, 15),
  seed: 7,
};

/** Sets of manifest ids from small to nearly all, each with blobs shared in and out of it. */
async function idSets(database: TestDatabase): Promise<Record<string, number[]>> {
  const ids = (
    await selectRows<{ id: number }>(database.handle.db, 'SELECT id FROM manifests ORDER BY id')
  ).map((r) => Number(r.id));
  const firstNamespace = (
    await selectRows<{ id: number }>(
      database.handle.db,
      `SELECT m.id FROM manifests m JOIN repositories r ON r.id = m.repository_id
       WHERE r.namespace_id = (SELECT min(id) FROM namespaces) ORDER BY m.id`,
    )
  ).map((r) => Number(r.id));
  return {
    none: [],
    'every 50th': ids.filter((id) => id % 50 === 0),
    'a namespace': firstNamespace,
    'nine in ten': ids.filter((id) => id % 10 !== 0),
    all: ids,
  };
}

/** Bytes each set frees, as the SQLite store works them out over the same rows. */
let expected: Record<string, number> = {};

beforeAll(async () => {
  const sqlite = await openTestDatabase('sqlite');
  try {
    bulkLoadSynthetic((sqlite.handle as SqliteHandle).raw, DATASET);
    const sets = await idSets(sqlite);
    expected = {};
    for (const [name, set] of Object.entries(sets)) {
      expected[name] = await reclaimableBytes(sqlite.handle.db, set);
    }
  } finally {
    await sqlite.dispose();
  }
  // The sets share blobs with what they leave, and some blobs only they use.
  expect(expected['every 50th']).toBeGreaterThan(0);
  expect(expected['nine in ten']).toBeGreaterThan(expected['every 50th']!);
  expect(expected.all).toBeGreaterThan(expected['nine in ten']!);
});

describe.runIf(testEngines().includes('postgres'))('reclaimable bytes on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    await bulkLoadSyntheticPostgres(database.handle.db, DATASET);
  });
  afterAll(() => database.dispose());

  it.each(['per-member', 'whole-scan', 'by-size'] as const)(
    '%s gives what SQLite gives, from a few images to all of them',
    async (strategy) => {
      const sets = await idSets(database);
      for (const [name, set] of Object.entries(sets)) {
        expect([name, await reclaimableBytesOnPostgres(database.handle.db, set, strategy)]).toEqual(
          [name, expected[name]],
        );
      }
    },
  );
});
