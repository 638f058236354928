import { parentPort, workerData } from 'node:worker_threads';
import { reclaimableBytes } from './reclaim.js';
import { type WorkerDatabase, openWorkerDatabase } from './worker-database.js';

/** What the main thread asks of a reclaim worker: the bytes only these manifests use. */
export interface ReclaimWorkerTask {
  database: WorkerDatabase;
  manifests: Float64Array;
}

// A blob that a whole namespace shares is checked image by image in one statement (tens of ms
// at 100,000 images on SQLite), which here holds no thread that answers requests.
const task = workerData as ReclaimWorkerTask;
const db = openWorkerDatabase(task.database);
try {
  parentPort?.postMessage({ bytes: await reclaimableBytes(db, task.manifests) });
} finally {
  await db.destroy();
}
