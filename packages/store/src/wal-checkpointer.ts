import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/*
 * WAL checkpoints on a thread of their own. SQLite checkpoints on the connection that commits
 * once the WAL passes wal_autocheckpoint pages (1,000 by default): the commit that crosses it
 * copies the WAL's pages into the database file and fsyncs both, on the event loop. A bulk
 * chunk writes hundreds of pages, so nearly every chunk paid for one: on a 1,000,000-image
 * database a namespace delete spent 107 µs of CPU per image in COMMIT, half of it
 * checkpointing (bench/bulk/profile-trash.mjs). A worker with its own connection runs PASSIVE
 * checkpoints instead, which never block the writer nor readers: the writer appends while the
 * worker copies.
 *
 * The WAL starts again from its beginning only when a checkpoint has caught up as a write
 * transaction begins, which a worker beside a writer that commits a chunk every few
 * milliseconds seldom finds: the WAL grew to hundreds of MiB, and SQLite's own threshold on the
 * writer did not help, as its checkpoint gives up while the worker's runs. So once the WAL is
 * long (the worker says so after a checkpoint), the next transaction first awaits a checkpoint
 * of the worker (`settle`, before it takes the writer): the event loop stays free meanwhile,
 * other transactions go on (one wait per report), and unless one of them wrote meanwhile the
 * transaction begins on a WAL that has caught up, which its first write starts again from the
 * beginning. (The main thread must not read the -shm file itself: closing any descriptor of a
 * file drops every POSIX lock the process holds on it, SQLite's WAL-index locks included.)
 * Without this the WAL reached 16,000 pages in a repository delete of a 200,000-image copy,
 * and 110,000 in a namespace delete.
 */

/** How often the worker checkpoints (a PASSIVE checkpoint with nothing to copy costs ~µs). */
const INTERVAL_MS = 100;
/**
 * Past this many pages (32 MiB) a transaction begins only once the worker caught up. The wait
 * is for what was appended since the worker's last pass, whatever the WAL's length; a longer
 * WAL means fewer waits, and pages written again by later chunks copied once.
 */
const SETTLE_PAGES = 8_000;
/** A transaction (a push among them) never waits longer than this for the worker. */
const SETTLE_TIMEOUT_MS = 250;
/** The worker checkpoints once the WAL file has reached SQLite's own threshold (1,000 pages). */
const MIN_PAGES = 1_000;
/** SQLite's own checkpoints on the writer, should the worker stop: 128 MiB. */
const BACKSTOP_PAGES = 32_000;

// Evaluated in the worker (CommonJS), so the same code runs from src (tests) and from dist.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// Its syncs are the checkpoint's: the WAL before copying, the database file after.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const checkpoint = () => {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (error) {
    // SQLITE_BUSY and the like: the next turn tries again.
    return null;
  }
};
const fs = require('node:fs');
const minBytes = workerData.minPages * db.pragma('page_size', { simple: true });
// A WAL file that never grew past SQLite's own threshold is left as SQLite leaves it: writes
// append to it, so on a full disk the first write that needs room is refused (507) instead
// of reusing the space of pages checkpointed early. (stat opens no descriptor: the locks stay.)
const grown = () => {
  try {
    return fs.statSync(workerData.file + '-wal').size >= minBytes;
  } catch {
    return false;
  }
};
const timer = setInterval(() => {
  if (!grown()) return;
  const done = checkpoint();
  if (done && done.log >= workerData.settlePages) parentPort.postMessage('long');
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    checkpoint();
    parentPort.postMessage('checkpointed');
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /**
   * Resolves at once while the WAL is short; past SETTLE_PAGES, once the worker has
   * checkpointed (or SETTLE_TIMEOUT_MS passed). Called before a transaction takes the writer.
   */
  settle(): Promise<void>;
  /** Stops the worker and closes its connection (before the writer closes its own). */
  stop(): Promise<void>;
}

export function startWalCheckpointer(
  writer: SqliteDatabase.Database,
  file: string,
  intervalMs = INTERVAL_MS,
): WalCheckpointer {
  writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_CODE, {
    eval: true,
    workerData: { driver, file, intervalMs, settlePages: SETTLE_PAGES, minPages: MIN_PAGES },
  });
  // It must never keep a process alive that is otherwise done.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let running = true;
  /** The worker found the WAL past SETTLE_PAGES after its last checkpoint. */
  let long = false;
  let waiting: (() => void)[] = [];
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resolve of woken) resolve();
  };
  worker.on('message', (message: 'long' | 'checkpointed') => {
    if (message === 'long') long = true;
    else wake();
  });
  worker.once('error', () => {
    // Checkpointing falls back to the writer: SQLite's own, at every 1,000 pages again.
    running = false;
    wake();
    if (writer.open) writer.pragma('wal_autocheckpoint = 1000');
  });
  worker.once('exit', () => {
    running = false;
    wake();
  });
  return {
    async settle() {
      if (!running || !long) return;
      // Once per report: the transactions that follow go on unless the WAL is still long.
      long = false;
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, SETTLE_TIMEOUT_MS);
        waiting.push(() => {
          clearTimeout(timeout);
          resolve();
        });
        if (waiting.length === 1) worker.postMessage('checkpoint');
      });
    },
    async stop() {
      // Awaited: a process with nothing else left to do must not exit before the worker did
      // (Node ends a process whose only handle is an unref'd worker, mid-await).
      worker.ref();
      if (running) worker.postMessage('stop');
      await exited;
    },
  };
}
