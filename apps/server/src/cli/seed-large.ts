/**
 * Seeds a large synthetic registry (metadata only) for benchmarks and scale testing:
 *
 *   node apps/server/dist/cli/seed-large.js --data-dir DIR [--images 1000000]
 *     [--repositories 10000] [--namespaces 10] [--big 100000] [--region local]
 *     [--seed 1] [--force]
 *   node apps/server/dist/cli/seed-large.js --database-url postgres://… [same options]
 *
 * Refuses a data directory that already holds berth.db; --force deletes that database
 * (and its WAL files) first. With --database-url it seeds that PostgreSQL database instead,
 * which must hold no namespaces yet (the same rows as on SQLite for the same seed). No blob
 * files are written: listing pages work, pulls of the synthetic images do not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  bulkLoadSynthetic,
  bulkLoadSyntheticPostgres,
  createStore,
  openPostgres,
  openSqlite,
  type BulkLoadResult,
  type StoreHandle,
} from '@berth/store';

const USAGE =
  'usage: seed-large (--data-dir DIR | --database-url postgres://…) [--images N] [--repositories N] [--namespaces N] [--big N] [--region NAME] [--seed N] [--force]';

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      images: { type: 'string' },
      repositories: { type: 'string' },
      namespaces: { type: 'string' },
      big: { type: 'string' },
      region: { type: 'string' },
      seed: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const dataDir = values['data-dir'];
  const databaseUrl = values['database-url'];
  if (!dataDir === !databaseUrl)
    throw new Error(`one of --data-dir and --database-url is required\n${USAGE}`);
  const images = positiveInt('images', values.images, 1_000_000);
  const namespaces = positiveInt('namespaces', values.namespaces, 10);
  const repositories = positiveInt('repositories', values.repositories, 10_000);
  const big = positiveInt('big', values.big, 100_000, 0);
  const seed = positiveInt('seed', values.seed, 1, 0);
  const region = values.region ?? 'local';
  if (!/^[a-z0-9-]{1,64}$/.test(region))
    throw new Error('--region: lowercase letters, digits, "-"');
  if (big > images) throw new Error('--big cannot exceed --images');
  if (repositories < namespaces) throw new Error('--repositories must be at least --namespaces');
  const repositoriesPerNamespace = Math.floor(repositories / namespaces);

  const options = {
    namespaces,
    repositoriesPerNamespace,
    images,
    bigRepositoryImages: big,
    region,
    now: Date.now(),
    seed,
  };
  const started = Date.now();
  const onProgress = (done: number) => {
    const s = (Date.now() - started) / 1000;
    console.log(
      `  ${done.toLocaleString('en')} images  ${s.toFixed(1)} s  ${Math.round(done / s).toLocaleString('en')}/s`,
    );
  };
  const plan =
    `${images.toLocaleString('en')} images, ` +
    `${(repositoriesPerNamespace * namespaces).toLocaleString('en')} repositories in ` +
    `${namespaces} namespaces, big repository ${big.toLocaleString('en')} images`;

  let handle: StoreHandle;
  let load: () => Promise<BulkLoadResult>;
  let size: () => Promise<number | null>;
  if (databaseUrl) {
    console.log(`seeding the PostgreSQL database: ${plan}`);
    const pgHandle = await openPostgres(databaseUrl, { poolSize: 2 });
    handle = pgHandle;
    const existing = await handle.db.selectFrom('namespaces').select('id').limit(1).execute();
    if (existing.length > 0) {
      await handle.close();
      throw new Error('the database already holds namespaces: seed an empty one');
    }
    load = () => bulkLoadSyntheticPostgres(pgHandle.db, { ...options, onProgress });
    // The benchmark that seeds it asks PostgreSQL for the database's size itself.
    size = async () => null;
  } else {
    const dir = path.resolve(dataDir!);
    const dbFile = path.join(dir, 'berth.db');
    if (fs.existsSync(dbFile)) {
      if (!values.force) {
        throw new Error(`${dbFile} already exists; pass --force to replace it`);
      }
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
    }
    fs.mkdirSync(dir, { recursive: true });
    console.log(`seeding ${dbFile}: ${plan}`);
    const sqliteHandle = await openSqlite(dbFile);
    handle = sqliteHandle;
    load = async () => bulkLoadSynthetic(sqliteHandle.raw, { ...options, onProgress });
    size = async () => fs.statSync(dbFile).size;
  }
  try {
    const result = await load();
    // A finished first start: the server must not take this database for one a crash left
    // half-built (and remove it); it creates the first admin at its start, as always.
    await createStore(handle.db).firstStart.complete(Date.now());
    const seconds = (Date.now() - started) / 1000;
    const bytes = await size();
    console.log(
      JSON.stringify({
        ...result,
        region,
        seconds: Number(seconds.toFixed(2)),
        imagesPerSecond: Math.round(result.images / seconds),
        dbBytes: bytes,
      }),
    );
    console.log(
      `done in ${seconds.toFixed(1)} s; big repository ${result.bigRepository}` +
        (bytes === null ? '' : `; database ${(bytes / 1024 / 1024).toFixed(0)} MiB`),
    );
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
