import { type ImageReference, formatImagePointer } from '@berth/domain';
import type { Selectable } from 'kysely';
import type { Db, ProjectWorkloadsTable, WorkloadKind } from '../database.js';
import type { ActionContext } from '../context.js';
import { auditChild, childExists, childKinds, childUnknown, requireRoom } from './child-kinds.js';
import { parseJson, requireActiveProject, requireProject } from './project-rows.js';

/** Apps are one family; jobs and job templates the other, sharing their names. */
export type WorkloadFamily = 'app' | 'job';

export interface WorkloadSpec {
  kind: WorkloadKind;
  image: ImageReference;
  command: string[];
  env: Record<string, string>;
  cpu: number;
  memoryMiB: number;
}

export interface WorkloadRecord extends WorkloadSpec {
  name: string;
  /** The pointer in its canonical form. */
  imageText: string;
  createdAt: number;
  updatedAt: number;
}

export const familyOf = (kind: WorkloadKind): WorkloadFamily => (kind === 'app' ? 'app' : 'job');

function toRecord(r: Selectable<ProjectWorkloadsTable>): WorkloadRecord {
  return {
    name: r.name,
    kind: r.kind,
    image: {
      registry: r.image_registry,
      namespace: r.image_namespace,
      repository: r.image_repository,
      tag: r.image_tag,
      digest: r.image_digest,
    },
    imageText: r.image,
    command: parseJson<string[]>(r.command),
    env: parseJson<Record<string, string>>(r.env),
    cpu: r.cpu,
    memoryMiB: r.memory_mib,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function columns(spec: WorkloadSpec) {
  return {
    kind: spec.kind,
    image: formatImagePointer(spec.image),
    image_registry: spec.image.registry,
    image_namespace: spec.image.namespace,
    image_repository: spec.image.repository,
    image_tag: spec.image.tag,
    image_digest: spec.image.digest,
    command: JSON.stringify(spec.command),
    env: JSON.stringify(spec.env),
    cpu: spec.cpu,
    memory_mib: spec.memoryMiB,
  };
}

/** What an audit entry says about a workload: where it points and its size, not its env. */
const auditDetails = (spec: WorkloadSpec) => ({
  kind: spec.kind,
  image: formatImagePointer(spec.image),
  cpu: spec.cpu,
  memoryMiB: spec.memoryMiB,
});

export function createWorkloadsStore(db: Db) {
  const one = (trx: Db, projectId: string, family: WorkloadFamily, name: string) =>
    trx
      .selectFrom('project_workloads')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('family', '=', family)
      .where('name', '=', name);
  const find = (trx: Db, projectId: string, family: WorkloadFamily, name: string) =>
    one(trx, projectId, family, name).executeTakeFirst();
  const written = async (trx: Db, projectId: string, family: WorkloadFamily, name: string) =>
    toRecord(await one(trx, projectId, family, name).executeTakeFirstOrThrow());

  return {
    async list(projectId: string, family: WorkloadFamily): Promise<WorkloadRecord[]> {
      await requireProject(db, projectId);
      const rows = await db
        .selectFrom('project_workloads')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('family', '=', family)
        .orderBy('name')
        .execute();
      return rows.map(toRecord);
    },

    async get(projectId: string, family: WorkloadFamily, name: string): Promise<WorkloadRecord> {
      const project = await requireProject(db, projectId);
      const row = await find(db, projectId, family, name);
      if (!row) throw childUnknown(childKinds[family], project, name);
      return toRecord(row);
    },

    async create(
      projectId: string,
      name: string,
      spec: WorkloadSpec,
      ctx: ActionContext,
    ): Promise<WorkloadRecord> {
      const family = familyOf(spec.kind);
      const kind = childKinds[family];
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (await find(trx, projectId, family, name)) throw childExists(kind, project, name);
        requireRoom(kind, project, project.counts[family === 'app' ? 'apps' : 'jobs']);
        await trx
          .insertInto('project_workloads')
          .values({
            project_id: projectId,
            family,
            name,
            ...columns(spec),
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute();
        await auditChild(trx, ctx, project, kind, 'create', name, auditDetails(spec));
        return written(trx, projectId, family, name);
      });
    },

    /** Replaces everything but the name; a job may become a template and back. */
    async replace(
      projectId: string,
      name: string,
      spec: WorkloadSpec,
      ctx: ActionContext,
    ): Promise<WorkloadRecord> {
      const family = familyOf(spec.kind);
      const kind = childKinds[family];
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (!(await find(trx, projectId, family, name))) throw childUnknown(kind, project, name);
        await trx
          .updateTable('project_workloads')
          .set({ ...columns(spec), updated_at: ctx.now })
          .where('project_id', '=', projectId)
          .where('family', '=', family)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'update', name, auditDetails(spec));
        return written(trx, projectId, family, name);
      });
    },

    async remove(
      projectId: string,
      family: WorkloadFamily,
      name: string,
      ctx: ActionContext,
    ): Promise<void> {
      const kind = childKinds[family];
      await db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        const row = await find(trx, projectId, family, name);
        if (!row) throw childUnknown(kind, project, name);
        await trx
          .deleteFrom('project_workloads')
          .where('project_id', '=', projectId)
          .where('family', '=', family)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'delete', name, {
          kind: row.kind,
          image: row.image,
        });
      });
    },
  };
}
