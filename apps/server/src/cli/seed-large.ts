/**
 * Seeds a large synthetic registry (metadata only) for benchmarks and scale testing:
 *
 *   node apps/server/dist/cli/seed-large.js --data-dir DIR [--images 1000000]
 *     [--repositories 10000] [--namespaces 10] [--big 100000] [--region local]
 *     [--seed 1] [--force]
 *
 * Refuses a data directory that already holds berth.db; --force deletes that database
 * (and its WAL files) first. No blob files are written: listing pages work, pulls of the
 * synthetic images do not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bulkLoadSynthetic, createStore, openSqlite } from '@berth/store';

const USAGE =
  'usage: seed-large --data-dir DIR [--images N] [--repositories N] [--namespaces N] [--big N] [--region NAME] [--seed N] [--force]';

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
  if (!dataDir) throw new Error(`--data-dir is required\n${USAGE}`);
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

  const dir = path.resolve(dataDir);
  const dbFile = path.join(dir, 'berth.db');
  if (fs.existsSync(dbFile)) {
    if (!values.force) {
      throw new Error(`${dbFile} already exists; pass --force to replace it`);
    }
    for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
  }
  fs.mkdirSync(dir, { recursive: true });

  console.log(
    `seeding ${dbFile}: ${images.toLocaleString('en')} images, ` +
      `${(repositoriesPerNamespace * namespaces).toLocaleString('en')} repositories in ` +
      `${namespaces} namespaces, big repository ${big.toLocaleString('en')} images`,
  );
  const started = Date.now();
  const handle = await openSqlite(dbFile);
  try {
    const result = bulkLoadSynthetic(handle.raw, {
      namespaces,
      repositoriesPerNamespace,
      images,
      bigRepositoryImages: big,
      region,
      now: Date.now(),
      seed,
      onProgress: (done) => {
        const s = (Date.now() - started) / 1000;
        console.log(
          `  ${done.toLocaleString('en')} images  ${s.toFixed(1)} s  ${Math.round(done / s).toLocaleString('en')}/s`,
        );
      },
    });
    // A finished first start: the server must not take this database for one a crash left
    // half-built (and remove it); it creates the first admin at its start, as always.
    await createStore(handle.db).firstStart.complete(Date.now());
    const seconds = (Date.now() - started) / 1000;
    const bytes = fs.statSync(dbFile).size;
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
      `done in ${seconds.toFixed(1)} s; big repository ${result.bigRepository}; ` +
        `database ${(bytes / 1024 / 1024).toFixed(0)} MiB`,
    );
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
