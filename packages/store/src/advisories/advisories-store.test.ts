import { afterEach, describe, expect, it } from 'vitest';
import { type StoredAdvisory, createAdvisoriesStore } from './advisories-store.js';
import { type TestDatabase, openTestDatabase, testEngines } from '../testing/engines.js';

let database: TestDatabase;
afterEach(() => database.dispose());

const advisory = (id: string, modified: number, names: string[]): StoredAdvisory => ({
  id,
  modified,
  published: 1_000,
  withdrawn: null,
  summary: `summary of ${id}`,
  details: `details of ${id}`,
  aliases: [`CVE-${id}`],
  severity: 'high',
  score: 7.5,
  affected: names.map((name) => ({ package: { ecosystem: 'Debian:12', name } })),
  packages: names.map((name) => ({ ecosystem: 'Debian:12', name })),
});

describe.each(testEngines())('advisories on %s', (engine) => {
  it('imports incrementally: new added, newer updated, same or older left alone', async () => {
    database = await openTestDatabase(engine);
    const store = createAdvisoriesStore(database.handle.db);
    expect(
      await store.importBatch(
        [advisory('A-1', 10, ['openssl']), advisory('A-2', 10, ['zlib'])],
        50,
      ),
    ).toEqual({ added: 2, updated: 0, unchanged: 0 });
    expect(
      await store.importBatch(
        [
          advisory('A-1', 10, ['openssl']),
          advisory('A-2', 20, ['zlib', 'zlib1g']),
          advisory('A-3', 5, ['curl']),
          { ...advisory('A-2', 9, ['libc']) },
        ],
        60,
      ),
    ).toEqual({ added: 1, updated: 0, unchanged: 1 + 1 });
    // The second A-2 in that batch (older) replaced the first one in the batch: the last wins,
    // and it is older than the one held, so nothing changed for A-2.
    const zlib = await store.forPackages('Debian:12', ['zlib', 'libc']);
    expect(zlib.map((a) => [a.id, a.modified, a.packages[0]?.name])).toEqual([['A-2', 10, 'zlib']]);
    expect(await store.importBatch([advisory('A-2', 20, ['zlib', 'zlib1g'])], 70)).toEqual({
      added: 0,
      updated: 1,
      unchanged: 0,
    });
    const updated = await store.forPackages('Debian:12', ['zlib1g']);
    expect(updated).toEqual([
      {
        ...advisory('A-2', 20, ['zlib1g']),
        affected: advisory('A-2', 20, ['zlib', 'zlib1g']).affected,
      },
    ]);
    expect(await store.forPackages('Debian:11', ['zlib1g'])).toEqual([]);
  });

  it('leaves withdrawn advisories out of lookups, and reports the data it holds', async () => {
    database = await openTestDatabase(engine);
    const store = createAdvisoriesStore(database.handle.db);
    expect(await store.status()).toEqual({
      advisories: 0,
      ecosystems: [],
      lastImport: null,
      newestModified: null,
    });
    await store.importBatch(
      [
        advisory('A-1', 10, ['openssl']),
        { ...advisory('A-9', 30, ['openssl']), withdrawn: 31 },
        {
          ...advisory('G-1', 25, []),
          affected: [{ package: { ecosystem: 'npm', name: 'left-pad' } }],
          packages: [{ ecosystem: 'npm', name: 'left-pad' }],
        },
      ],
      100,
    );
    expect((await store.forPackages('Debian:12', ['openssl'])).map((a) => a.id)).toEqual(['A-1']);
    await store.recordImport(
      { source: 'debian.zip', added: 3, updated: 0, unchanged: 0, skipped: 1 },
      'cli:advisories',
      200,
    );
    expect(await store.status()).toEqual({
      advisories: 3,
      ecosystems: [
        { ecosystem: 'Debian:12', advisories: 2 },
        { ecosystem: 'npm', advisories: 1 },
      ],
      lastImport: {
        source: 'debian.zip',
        added: 3,
        updated: 0,
        unchanged: 0,
        skipped: 1,
        finishedAt: 200,
      },
      newestModified: 30,
    });
    const audit = await database.handle.db
      .selectFrom('audit_events')
      .select(['actor', 'action', 'target', 'outcome'])
      .execute();
    expect(audit).toEqual([
      {
        actor: 'cli:advisories',
        action: 'advisories.import',
        target: 'debian.zip',
        outcome: 'success',
      },
    ]);
  });
});
