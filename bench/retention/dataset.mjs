// Synthetic registries for the retention benchmark: seeded once under the OS temp dir and
// reused while the parameters recorded next to them match; every run works on a fresh copy of
// the database, so previews stored and images confirmed away never leak into the next run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../lib/process.mjs';

export const baseDir = path.join(os.tmpdir(), 'berth-bench-retention');

/** Directories of this run's working copies, removed on exit whatever the reason. */
const runDirs = new Set();

export function removeRunDirs() {
  for (const dir of runDirs) fs.rmSync(dir, { recursive: true, force: true });
  runDirs.clear();
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Working copies left by a run that was killed outright (its pid is in the name and gone). */
export function sweepStaleRunDirs() {
  if (!fs.existsSync(baseDir)) return;
  for (const name of fs.readdirSync(baseDir)) {
    const dir = path.join(baseDir, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const entry of fs.readdirSync(dir)) {
      const pid = /^run-(\d+)$/.exec(entry)?.[1];
      if (pid === undefined || alive(Number(pid))) continue;
      console.log(`removing ${path.join(dir, entry)} left by an interrupted run`);
      fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

function readMarker(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The seeded database for `params` ({ images, repositories, namespaces, big, seed }) in
 * <baseDir>/<name>/seed, seeded now unless its marker records the same parameters.
 */
export async function ensureSeeded(name, params, seedCli) {
  const dir = path.join(baseDir, name);
  const seedDir = path.join(dir, 'seed');
  const marker = path.join(dir, 'seed.json');
  const dbFile = path.join(seedDir, 'berth.db');
  const recorded = readMarker(marker);
  const same =
    recorded !== null &&
    fs.existsSync(dbFile) &&
    Object.entries(params).every(([k, v]) => recorded.params?.[k] === v);
  if (same) {
    console.log(`reusing ${seedDir} (${JSON.stringify(params)})`);
    return { ...recorded, dbFile, reused: true };
  }
  // The marker goes first: a seed interrupted half-way is never mistaken for a finished one.
  fs.rmSync(marker, { force: true });
  fs.rmSync(seedDir, { recursive: true, force: true });
  fs.mkdirSync(seedDir, { recursive: true });
  console.log(`seeding ${seedDir} (${JSON.stringify(params)})`);
  const { out } = await run(
    process.execPath,
    [
      seedCli,
      '--data-dir',
      seedDir,
      '--images',
      String(params.images),
      '--repositories',
      String(params.repositories),
      '--namespaces',
      String(params.namespaces),
      '--big',
      String(params.big),
      '--seed',
      String(params.seed),
      '--force',
    ],
    { echo: true, label: 'seed-large' },
  );
  const summaryLine = out.split('\n').find((l) => l.startsWith('{'));
  if (!summaryLine) throw new Error('seed-large printed no summary');
  const record = { params, seed: JSON.parse(summaryLine), seededAt: new Date().toISOString() };
  fs.writeFileSync(marker, `${JSON.stringify(record, null, 2)}\n`);
  return { ...record, dbFile, reused: false };
}

/** A fresh data directory holding a copy of the seeded database, removed when the run ends. */
export function workingCopy(name, seeded) {
  const dir = path.join(baseDir, name, `run-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  runDirs.add(dir);
  const t = performance.now();
  for (const suffix of ['', '-wal']) {
    const from = `${seeded.dbFile}${suffix}`;
    if (fs.existsSync(from)) {
      fs.copyFileSync(from, path.join(dir, `berth.db${suffix}`), fs.constants.COPYFILE_FICLONE);
    }
  }
  return { dir, copySeconds: (performance.now() - t) / 1000 };
}

export function removeWorkingCopy(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  runDirs.delete(dir);
}
