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
 * worker copies, and WAL restarts from its beginning once a checkpoint caught up.
 *
 * The writer keeps a far higher wal_autocheckpoint as a backstop: if the worker stopped or
 * fell behind, SQLite would checkpoint on the writer as before, only less often.
 */

/** How often the worker checkpoints (a PASSIVE checkpoint with nothing to copy costs ~µs). */
const INTERVAL_MS = 100;
/** The writer's own checkpoints, should the worker not keep up: 16,000 pages, 64 MiB. */
export const BACKSTOP_PAGES = 16_000;

// Evaluated in the worker (CommonJS), so the same code runs from src (tests) and from dist.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// Its syncs are the checkpoint's: the WAL before copying, the database file after.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY and the like: the next turn tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
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
  const worker = new Worker(WORKER_CODE, { eval: true, workerData: { driver, file, intervalMs } });
  // It must never keep a process alive that is otherwise done.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let failed = false;
  worker.once('error', () => {
    // Checkpointing falls back to the writer: SQLite's own, at every 1,000 pages again.
    failed = true;
    if (writer.open) writer.pragma('wal_autocheckpoint = 1000');
  });
  return {
    async stop() {
      if (!failed) worker.postMessage('stop');
      await exited;
    },
  };
}
