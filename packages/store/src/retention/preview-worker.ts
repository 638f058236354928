import { parentPort, workerData } from 'node:worker_threads';
import type { ImagePointer, RetentionRules } from '@berth/domain';
import { buildPreviewPart } from './preview-builder.js';
import { type WorkerDatabase, openWorkerDatabase } from './worker-database.js';

/** What the main thread asks of a preview worker: one range of a namespace's repositories. */
export interface PreviewWorkerTask {
  database: WorkerDatabase;
  namespaceId: number;
  rules: RetentionRules;
  pointers: ImagePointer[];
  /** Only these repositories (a confirmation's), even if they have emptied since. */
  ids?: number[];
  nameFrom?: string;
  nameTo?: string;
  expectedImages: number;
  /** When the rules are applied: the main thread's clock, not the worker's. */
  evaluatedAt: number;
}

const task = workerData as PreviewWorkerTask;
const db = openWorkerDatabase(task.database);
try {
  const part = await buildPreviewPart(
    db,
    task.namespaceId,
    task.rules,
    task.pointers,
    {
      ...(task.ids ? { ids: new Set(task.ids) } : {}),
      nameFrom: task.nameFrom,
      nameTo: task.nameTo,
    },
    task.expectedImages,
    task.evaluatedAt,
  );
  const c = part.columns;
  parentPort?.postMessage({ part }, [
    c.manifestIds.buffer,
    c.revisions.buffer,
    c.ranks.buffer,
    c.protections.buffer,
    c.decisions.buffer,
    part.deleting.buffer,
  ] as ArrayBuffer[]);
} finally {
  await db.destroy();
}
