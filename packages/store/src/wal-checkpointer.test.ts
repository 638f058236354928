import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';

let handle: SqliteHandle | null = null;
let dir: string | null = null;

afterEach(async () => {
  await handle?.close();
  handle = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** 8 MiB in one transaction: 2,000 pages, past SQLite's own checkpoint threshold (1,000). */
async function writeEightMegabytes(db: SqliteHandle['db']) {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < 8; i++) {
      await sql`insert into filler (data) values (randomblob(1048576))`.execute(trx);
    }
  });
}

it('checkpoints on its worker, not in the commit, and leaves no WAL behind at close', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-checkpoint-'));
  const file = path.join(dir, 'berth.db');
  handle = await openSqlite(file, { backgroundCheckpoints: true });
  await sql`create table filler (data blob)`.execute(handle.db);
  const before = fs.statSync(file).size;

  await writeEightMegabytes(handle.db);
  // The commit only appended to the WAL: the database file has not grown yet.
  expect(fs.statSync(file).size - before).toBeLessThan(1 << 20);
  // The worker copies the pages into the database file shortly after.
  const deadline = Date.now() + 5000;
  while (fs.statSync(file).size - before < 8 << 20 && Date.now() < deadline) await sleep(20);
  expect(fs.statSync(file).size - before).toBeGreaterThanOrEqual(8 << 20);

  // What was written is there for a new connection, and closing ends the worker and the WAL.
  await writeEightMegabytes(handle.db);
  await handle.close();
  handle = null;
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
  handle = await openSqlite(file);
  const rows = await sql<{ n: number }>`select count(*) as n from filler`.execute(handle.db);
  expect(rows.rows[0]?.n).toBe(16);
});

it('leaves a WAL that never reached 1,000 pages to SQLite, so a full disk refuses the write that needs room', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-checkpoint-'));
  const file = path.join(dir, 'berth.db');
  handle = await openSqlite(file, { backgroundCheckpoints: true });
  await sql`create table filler (data blob)`.execute(handle.db);
  // The migrations at open leave ~2 MB in the WAL, and the schema grows: start from an empty WAL
  // so that only this test's 500 pages are in it.
  handle.raw.pragma('wal_checkpoint(TRUNCATE)');
  const before = fs.statSync(file).size;
  // 2 MiB: 500 pages, appended to the WAL; a checkpoint would copy them into the file.
  await sql`insert into filler (data) values (randomblob(2097152))`.execute(handle.db);
  await sleep(500);
  expect(fs.statSync(file).size - before).toBeLessThan(1 << 20);
  expect(fs.statSync(`${file}-wal`).size).toBeGreaterThanOrEqual(2 << 20);
});

/** Frames in the WAL, from SQLite (a PASSIVE checkpoint answers how many there are). */
function walFrames(handle: SqliteHandle): number {
  const [row] = handle.raw.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  return row?.log ?? 0;
}

it('keeps the WAL short beside a writer that never pauses, as bulk chunks commit', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-checkpoint-'));
  handle = await openSqlite(path.join(dir, 'berth.db'), { backgroundCheckpoints: true });
  await sql`create table filler (data blob)`.execute(handle.db);
  // 15,000 pages in transactions of 250, a turn of the event loop between them (the runner's).
  for (let i = 0; i < 60; i++) {
    await handle.db.transaction().execute(async (trx) => {
      await sql`insert into filler (data) values (randomblob(250 * 4096))`.execute(trx);
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The WAL started again past 8,000 pages; without that it would hold all 15,000.
  expect(walFrames(handle)).toBeLessThan(12_000);
});

it('lets a process with nothing else to do finish closing (the worker is awaited)', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-checkpoint-'));
  // A process of its own, on the built package: an unref'd worker as the last handle ended
  // such a process in the middle of close() (exit code 13, a server's first start killed).
  const store = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const script = `
    const { openSqlite } = await import(${JSON.stringify(store)});
    const handle = await openSqlite(${JSON.stringify(path.join(dir, 'berth.db'))}, {
      backgroundCheckpoints: true,
    });
    await handle.close();
    console.log('closed');`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({
    status: 0,
    stdout: 'closed',
  });
});

it('without the worker, the commit that crosses the threshold checkpoints (as SQLite does)', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-checkpoint-'));
  const file = path.join(dir, 'berth.db');
  handle = await openSqlite(file);
  await sql`create table filler (data blob)`.execute(handle.db);
  const before = fs.statSync(file).size;
  await writeEightMegabytes(handle.db);
  expect(fs.statSync(file).size - before).toBeGreaterThanOrEqual(8 << 20);
});
