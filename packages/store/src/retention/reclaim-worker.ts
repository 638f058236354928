import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../database.js';
import { registerIdSetFunction } from '../id-sets.js';
import { reclaimableBytes } from './reclaim.js';

/** What the main thread asks of a reclaim worker: the bytes only these manifests use. */
export interface ReclaimWorkerTask {
  file: string;
  manifests: Float64Array;
}

// A read-only connection of its own: WAL lets it read beside the server's connection. A blob
// that a whole namespace shares is checked image by image in one statement (tens of ms at
// 100,000 images), which here holds no thread that answers requests.
const task = workerData as ReclaimWorkerTask;
const raw = new SqliteDatabase(task.file, { readonly: true, fileMustExist: true });
raw.pragma('busy_timeout = 5000');
raw.pragma('cache_size = -8192');
registerIdSetFunction(raw);
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
try {
  parentPort?.postMessage({ bytes: await reclaimableBytes(db, task.manifests) });
} finally {
  await db.destroy();
}
