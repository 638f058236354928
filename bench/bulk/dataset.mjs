// The seeded registry for the bulk-work benchmark, and the per-run scratch copy the server
// works on. The seeded directory is only ever read: every delete, restore and GC of a run
// happens on the copy, which is removed when the run ends, however it ends.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../lib/process.mjs';

/** seed-large's defaults: the 1,000,000-image dataset the API-latency benchmark also uses. */
export const LARGE = {
  images: 1_000_000,
  repositories: 10_000,
  namespaces: 10,
  big: 100_000,
  seed: 1,
};

function readMarker(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const matches = (recorded, params, dbFile) =>
  recorded !== null &&
  fs.existsSync(dbFile) &&
  Object.entries(params).every(([k, v]) => recorded.params?.[k] === v);

/**
 * Where the dataset for `params` lives under `benchData`: `large` (shared with
 * bench/api-latency.mjs, marker `large.json`) when it holds exactly these parameters, or when
 * these are the defaults and nothing is there yet; otherwise a directory named after the
 * parameters, so a small development run never replaces the large dataset.
 */
function datasetName(benchData, params) {
  const largeMarker = readMarker(path.join(benchData, 'large.json'));
  if (matches(largeMarker, params, path.join(benchData, 'large', 'berth.db'))) return 'large';
  const isDefault = Object.entries(LARGE).every(([k, v]) => params[k] === v);
  if (isDefault && !fs.existsSync(path.join(benchData, 'large'))) return 'large';
  const { images, repositories, namespaces, big, seed } = params;
  return `bulk-i${images}-r${repositories}-n${namespaces}-b${big}-s${seed}`;
}

/** The seeded dataset for `params`, seeded now unless its marker records the same parameters. */
export async function ensureDataset(benchData, params, seedCli) {
  const name = datasetName(benchData, params);
  const dir = path.join(benchData, name);
  const marker = path.join(benchData, `${name}.json`);
  const dbFile = path.join(dir, 'berth.db');
  const recorded = readMarker(marker);
  if (matches(recorded, params, dbFile)) {
    console.log(`reusing ${dir} (${JSON.stringify(params)})`);
    return { ...recorded, name, dir, dbFile, reused: true };
  }
  // The marker goes first: a seed interrupted half-way is never mistaken for a finished one.
  fs.rmSync(marker, { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`seeding ${dir} (${JSON.stringify(params)})`);
  const args = ['--data-dir', dir, '--force'];
  for (const key of ['images', 'repositories', 'namespaces', 'big', 'seed']) {
    args.push(`--${key}`, String(params[key]));
  }
  const { out } = await run(process.execPath, [seedCli, ...args], {
    echo: true,
    label: 'seed-large',
  });
  const summaryLine = out.split('\n').find((l) => l.startsWith('{'));
  if (!summaryLine) throw new Error('seed-large printed no summary');
  const record = { params, seed: JSON.parse(summaryLine), seededAt: new Date().toISOString() };
  fs.writeFileSync(marker, `${JSON.stringify(record, null, 2)}\n`);
  return { ...record, name, dir, dbFile, reused: false };
}

const SCRATCH_PREFIX = 'bulk-run-';
const scratchDirs = new Set();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Scratch copies left by a run that was killed outright (its pid is in the name and gone). */
export function sweepStaleScratch(benchData) {
  if (!fs.existsSync(benchData)) return;
  for (const entry of fs.readdirSync(benchData)) {
    const pid = new RegExp(`^${SCRATCH_PREFIX}(\\d+)$`).exec(entry)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    console.log(`removing ${path.join(benchData, entry)} left by an interrupted run`);
    fs.rmSync(path.join(benchData, entry), { recursive: true, force: true });
  }
}

/**
 * A data directory beside the dataset (same file system, so the copy is a reflink where the
 * file system can) holding its database, WAL and root key; removed by removeScratch().
 */
export function scratchCopy(benchData, dataset) {
  const dir = path.join(benchData, `${SCRATCH_PREFIX}${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  scratchDirs.add(dir);
  const started = performance.now();
  let bytes = 0;
  for (const file of ['berth.db', 'berth.db-wal', 'root.key']) {
    const from = path.join(dataset.dir, file);
    if (!fs.existsSync(from)) continue;
    fs.copyFileSync(from, path.join(dir, file), fs.constants.COPYFILE_FICLONE);
    bytes += fs.statSync(from).size;
  }
  return { dir, bytes, copySeconds: (performance.now() - started) / 1000 };
}

export function removeScratch() {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}
