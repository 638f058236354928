import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/*
 * SQLite checkpoints the WAL (copies its pages into the database file, with two fsyncs) inside
 * the commit that takes it past wal_autocheckpoint pages, 1000 by default. A bulk chunk writes
 * 400-700 pages, so every second or third commit of a long restore or delete ran a checkpoint
 * synchronously on the event loop: commits of 13-24 ms on the 20,000-image dataset, 30-1,000 ms
 * on the 1,000,000-image one, the largest single share of a chunk's time (49 of 134 µs per
 * restored image, 219 of 378 at 1M). Here a worker thread with a connection of its own runs
 * PASSIVE checkpoints, which wait for nobody and block nobody, so commits only append to the
 * WAL. Measured with bench/bulk/profile-restore.mjs: the commit's share fell to 10-18 µs per
 * image at 20k, and to 104 at 1M (measured before the backstop below).
 *
 * A PASSIVE checkpoint cannot restart the WAL; the next writer does, once a checkpoint has
 * copied every frame. While chunks follow each other that rarely happens on its own (the WAL
 * grew to 2 GiB over a 100,000-image delete and restore), so the writer keeps a backstop: past
 * WAL_BACKSTOP_PAGES its commit checkpoints as before, finding nearly everything copied
 * already, and the WAL starts over; the worker stands aside meanwhile, as a commit finding
 * the checkpoint taken skips its own.
 */

/** 16 MiB of 4 KiB pages: the most the WAL holds before a commit checkpoints by itself. */
export const WAL_BACKSTOP_PAGES = 4096;
/**
 * SQLite's own threshold: restored when the worker cannot run, and below it (a WAL file that
 * never grew this large) the worker leaves the WAL alone, as SQLite would.
 */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
const INTERVAL_MS = 50;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

// CommonJS run with `eval`: the same code whether the store runs from src (tests) or dist.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
const smallWal = workerData.sqliteDefaultPages * db.pragma('page_size', { simple: true });
const walSize = () => {
  try {
    return fs.statSync(workerData.file + '-wal').size;
  } catch {
    return 0;
  }
};
let pause = 0;
const timer = setInterval(() => {
  if (pause > 0) {
    pause--;
    return;
  }
  // A WAL that never grew to SQLite's own threshold is left as SQLite leaves it.
  if (walSize() < smallWal) return;
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    // Past the backstop the writer's next commit checkpoints the little that is left and the
    // WAL starts over, unless this connection holds the checkpoint then: stand aside a while.
    if (log >= workerData.backstopPages) pause = workerData.standAsideTicks;
  } catch {
    // Busy (another connection checkpoints): the next tick tries again.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Moves checkpoints of `file`'s WAL off `writer`'s commits; resolves the stop function. */
export function checkpointInBackground(
  writer: SqliteDatabase.Database,
  file: string,
): () => Promise<void> {
  writer.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driverPath,
      file,
      intervalMs: INTERVAL_MS,
      backstopPages: WAL_BACKSTOP_PAGES,
      sqliteDefaultPages: SQLITE_DEFAULT_AUTOCHECKPOINT,
      standAsideTicks: 4,
    },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', () => {
    // Without the worker, commits checkpoint as SQLite does by default.
    if (writer.open) writer.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  });
  return async () => {
    worker.postMessage('stop');
    await exited;
  };
}
