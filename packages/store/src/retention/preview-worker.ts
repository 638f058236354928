import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ImagePointer, RetentionRules } from '@berth/domain';
import type { Database } from '../database.js';
import { buildPreviewPart } from './preview-builder.js';

/** What the main thread asks of a preview worker: one range of a namespace's repositories. */
export interface PreviewWorkerTask {
  file: string;
  namespaceId: number;
  rules: RetentionRules;
  pointers: ImagePointer[];
  /** Only these repositories (a confirmation's), even if they have emptied since. */
  ids?: number[];
  nameFrom?: string;
  nameTo?: string;
  expectedImages: number;
}

// A read-only connection of its own: WAL lets it read beside the server's connection.
const task = workerData as PreviewWorkerTask;
const raw = new SqliteDatabase(task.file, { readonly: true, fileMustExist: true });
raw.pragma('busy_timeout = 5000');
// The scan reads each index page once: a small cache keeps the worker's memory small.
raw.pragma('cache_size = -8192');
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
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
