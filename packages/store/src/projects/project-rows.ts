import { ConflictError, InputError, NotFoundError } from '@berth/domain';
import { sql } from 'kysely';
import type { Db, ProjectStatus } from '../database.js';
import { engineOf } from '../store-handle.js';

export interface ProjectCounts {
  apps: number;
  jobs: number;
  secrets: number;
  configMaps: number;
}

export interface ProjectRecord {
  id: string;
  name: string;
  region: string;
  status: ProjectStatus;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
  purgeAt: number | null;
  counts: ProjectCounts;
}

/** Projects with their child counts; never the wrapped data key, which only the keyring reads. */
export function selectProjects(db: Db) {
  return db
    .selectFrom('projects as p')
    .select([
      'p.id',
      'p.name',
      'p.region',
      'p.status',
      'p.created_at',
      'p.created_by',
      'p.deleted_at',
      'p.purge_at',
    ])
    .select((eb) => [
      eb
        .selectFrom('project_workloads as w')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('w.project_id', '=', 'p.id')
        .where('w.family', '=', 'app')
        .as('apps'),
      eb
        .selectFrom('project_workloads as w')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('w.project_id', '=', 'p.id')
        .where('w.family', '=', 'job')
        .as('jobs'),
      eb
        .selectFrom('project_secrets as s')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('s.project_id', '=', 'p.id')
        .as('secrets'),
      eb
        .selectFrom('project_config_maps as c')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('c.project_id', '=', 'p.id')
        .as('config_maps'),
    ]);
}

type ProjectRow = Awaited<ReturnType<ReturnType<typeof selectProjects>['executeTakeFirstOrThrow']>>;

export function toProjectRecord(r: ProjectRow): ProjectRecord {
  return {
    id: r.id,
    name: r.name,
    region: r.region,
    status: r.status,
    createdAt: r.created_at,
    createdBy: r.created_by,
    deletedAt: r.deleted_at,
    purgeAt: r.purge_at,
    counts: {
      apps: Number(r.apps ?? 0),
      jobs: Number(r.jobs ?? 0),
      secrets: Number(r.secrets ?? 0),
      configMaps: Number(r.config_maps ?? 0),
    },
  };
}

export const projectUnknown = (id: string) =>
  new NotFoundError('PROJECT_UNKNOWN', `project "${id}" does not exist`);

export async function requireProject(db: Db, id: string): Promise<ProjectRecord> {
  const row = await selectProjects(db).where('p.id', '=', id).executeTakeFirst();
  if (!row) throw projectUnknown(id);
  return toProjectRecord(row);
}

/**
 * Children of a soft-deleted project stay readable, but nothing changes until it is restored:
 * a restore must bring back exactly what was deleted.
 */
export async function requireActiveProject(db: Db, id: string): Promise<ProjectRecord> {
  const project = await requireProject(db, id);
  if (project.status === 'deleted') {
    throw new ConflictError(
      'PROJECT_DELETED',
      `project "${project.name}" is in Deleted projects; restore it before changing what it holds`,
    );
  }
  return project;
}

export async function requireRegion(db: Db, region: string): Promise<void> {
  const row = await db
    .selectFrom('regions')
    .select('name')
    .where('name', '=', region)
    .executeTakeFirst();
  if (!row) {
    throw new InputError(
      'REGION_UNKNOWN',
      `region "${region}" is not configured on this deployment`,
    );
  }
}

/**
 * Deletes a project row and, through the cascades, everything it holds. The wrapped data key
 * is overwritten first, so the bytes that could decrypt its secrets do not survive in a page
 * the delete merely marks free (crypto-shredding). `dueBy` limits it to a soft-deleted project
 * whose restore window ended by then. Returns whether this call removed the row.
 */
export async function destroyProject(db: Db, id: string, dueBy?: number): Promise<boolean> {
  const zeros =
    engineOf(db) === 'postgres'
      ? sql<Uint8Array>`decode(repeat('00', octet_length(data_key)), 'hex')`
      : sql<Uint8Array>`zeroblob(length(data_key))`;
  let shred = db.updateTable('projects').set({ data_key: zeros }).where('id', '=', id);
  let remove = db.deleteFrom('projects').where('id', '=', id);
  if (dueBy !== undefined) {
    shred = shred.where('status', '=', 'deleted').where('purge_at', '<=', dueBy);
    remove = remove.where('status', '=', 'deleted').where('purge_at', '<=', dueBy);
  }
  await shred.execute();
  const result = await remove.executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export const parseJson = <T>(text: string): T => JSON.parse(text) as T;
