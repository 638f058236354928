import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';
import { WAL_BACKSTOP_PAGES } from './wal-checkpointer.js';

const PAGE = 4096;
let dir: string;
let file: string;
let handle: SqliteHandle;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-wal-'));
  file = path.join(dir, 'berth.db');
  handle = await openSqlite(file);
  handle.raw.exec('CREATE TABLE filler (n INTEGER PRIMARY KEY, bytes BLOB)');
});
afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Commits of about `pages` new pages each, like the chunks of a bulk operation. */
function writeChunks(chunks: number, pages: number): void {
  const insert = handle.raw.prepare('INSERT INTO filler (bytes) VALUES (randomblob(?))');
  for (let c = 0; c < chunks; c++) {
    handle.raw.transaction(() => {
      for (let p = 0; p < pages; p++) insert.run(PAGE - 200);
    })();
  }
}

const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}

describe('checkpoints in the background', () => {
  it('pages reach the database file without a commit checkpointing', async () => {
    handle.checkpointInBackground();
    const before = size(file);
    // Below the backstop: without the worker no commit would copy a page into the file.
    writeChunks(4, 500);
    expect(size(`${file}-wal`)).toBeGreaterThan(1500 * PAGE);
    expect(await until(() => size(file) - before > 1500 * PAGE, 5000)).toBe(true);
  });

  it('keeps the WAL bounded while commits follow each other with no pause', async () => {
    handle.checkpointInBackground();
    // Ten times the backstop: a PASSIVE checkpoint alone never lets the WAL start over.
    const chunks = Math.ceil((10 * WAL_BACKSTOP_PAGES) / 500);
    writeChunks(chunks, 500);
    // Without the backstop it would hold all of them (10 × the backstop).
    expect(size(`${file}-wal`)).toBeLessThan(6 * WAL_BACKSTOP_PAGES * PAGE);
    expect(handle.raw.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({
      n: chunks * 500,
    });
  });
});
