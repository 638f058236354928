import { NotFoundError } from '@berth/domain';
import type { Db } from './database.js';

export async function resolveNamespace(db: Db, name: string) {
  const ns = await db
    .selectFrom('namespaces')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!ns) throw new NotFoundError('NAMESPACE_UNKNOWN', `namespace "${name}" does not exist`);
  return ns;
}

export async function resolveRepository(
  db: Db,
  namespace: { id: number; name: string },
  name: string,
) {
  const repo = await db
    .selectFrom('repositories')
    .selectAll()
    .where('namespace_id', '=', namespace.id)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!repo) {
    throw new NotFoundError(
      'REPOSITORY_UNKNOWN',
      `repository "${namespace.name}/${name}" does not exist`,
    );
  }
  return repo;
}

/** Adds to the live image counters of a repository and its namespace (negative to remove). */
export async function adjustLiveCounters(
  db: Db,
  ids: { namespaceId: number; repositoryId: number },
  images: number,
  bytes: number,
): Promise<void> {
  await adjustCounters(db, ids, { images, bytes, trashEntries: 0, trashBytes: 0 });
}

export interface CounterChange {
  /** Live (listed) images and their bytes, in the repository and its namespace. */
  images: number;
  bytes: number;
  /** Trash entries and their bytes, in the namespace. */
  trashEntries: number;
  trashBytes: number;
}

/**
 * Live and trash counters together: one statement for the namespace whatever changes (a bulk
 * chunk updates them once per repository), and the repository only when its images change.
 */
export async function adjustCounters(
  db: Db,
  ids: { namespaceId: number; repositoryId: number },
  change: CounterChange,
): Promise<void> {
  let repositories = 0;
  if (change.images !== 0 || change.bytes !== 0) {
    const repo = await db
      .updateTable('repositories')
      .set((eb) => ({
        image_count: eb('image_count', '+', change.images),
        size_bytes: eb('size_bytes', '+', change.bytes),
      }))
      .where('id', '=', ids.repositoryId)
      .returning('image_count')
      .executeTakeFirstOrThrow();
    // Repositories with no live image are hidden, so the namespace counts a repository
    // exactly when its image count crosses zero, in either direction.
    const before = repo.image_count - change.images;
    repositories = Number(repo.image_count > 0) - Number(before > 0);
  }
  await db
    .updateTable('namespaces')
    .set((eb) => ({
      image_count: eb('image_count', '+', change.images),
      size_bytes: eb('size_bytes', '+', change.bytes),
      repository_count: eb('repository_count', '+', repositories),
      trash_count: eb('trash_count', '+', change.trashEntries),
      trash_size_bytes: eb('trash_size_bytes', '+', change.trashBytes),
    }))
    .where('id', '=', ids.namespaceId)
    .execute();
}

export async function adjustTrashCounters(
  db: Db,
  namespaceId: number,
  entries: number,
  bytes: number,
): Promise<void> {
  await db
    .updateTable('namespaces')
    .set((eb) => ({
      trash_count: eb('trash_count', '+', entries),
      trash_size_bytes: eb('trash_size_bytes', '+', bytes),
    }))
    .where('id', '=', namespaceId)
    .execute();
}

/** Finds or creates the repository row; pushes and seeding create repositories on demand. */
export async function ensureRepository(db: Db, namespaceId: number, name: string, now: number) {
  await db
    .insertInto('repositories')
    .values({ namespace_id: namespaceId, name, created_at: now })
    .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
    .execute();
  return db
    .selectFrom('repositories')
    .selectAll()
    .where('namespace_id', '=', namespaceId)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
}
