import type { Selectable } from 'kysely';
import type { Db, ProjectConfigMapsTable } from '../database.js';
import type { ActionContext } from '../context.js';
import { auditChild, childExists, childKinds, childUnknown, requireRoom } from './child-kinds.js';
import { parseJson, requireActiveProject, requireProject } from './project-rows.js';

export interface ConfigMapRecord {
  name: string;
  data: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

function toRecord(r: Selectable<ProjectConfigMapsTable>): ConfigMapRecord {
  return {
    name: r.name,
    data: parseJson<Record<string, string>>(r.data),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Config values are not secret, but the audit log keeps to key names like it does for secrets. */
const auditDetails = (data: Record<string, string>) => ({ keys: Object.keys(data).sort() });

export function createConfigMapsStore(db: Db) {
  const kind = childKinds.configMap;
  const one = (trx: Db, projectId: string, name: string) =>
    trx
      .selectFrom('project_config_maps')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name);
  const written = async (trx: Db, projectId: string, name: string) =>
    toRecord(await one(trx, projectId, name).executeTakeFirstOrThrow());

  return {
    async list(projectId: string): Promise<ConfigMapRecord[]> {
      await requireProject(db, projectId);
      const rows = await db
        .selectFrom('project_config_maps')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toRecord);
    },

    async get(projectId: string, name: string): Promise<ConfigMapRecord> {
      const project = await requireProject(db, projectId);
      const row = await one(db, projectId, name).executeTakeFirst();
      if (!row) throw childUnknown(kind, project, name);
      return toRecord(row);
    },

    async create(
      projectId: string,
      name: string,
      data: Record<string, string>,
      ctx: ActionContext,
    ): Promise<ConfigMapRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (await one(trx, projectId, name).executeTakeFirst()) {
          throw childExists(kind, project, name);
        }
        requireRoom(kind, project, project.counts.configMaps);
        await trx
          .insertInto('project_config_maps')
          .values({
            project_id: projectId,
            name,
            data: JSON.stringify(data),
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute();
        await auditChild(trx, ctx, project, kind, 'create', name, auditDetails(data));
        return written(trx, projectId, name);
      });
    },

    async replace(
      projectId: string,
      name: string,
      data: Record<string, string>,
      ctx: ActionContext,
    ): Promise<ConfigMapRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (!(await one(trx, projectId, name).executeTakeFirst())) {
          throw childUnknown(kind, project, name);
        }
        await trx
          .updateTable('project_config_maps')
          .set({ data: JSON.stringify(data), updated_at: ctx.now })
          .where('project_id', '=', projectId)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'update', name, auditDetails(data));
        return written(trx, projectId, name);
      });
    },

    async remove(projectId: string, name: string, ctx: ActionContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (!(await one(trx, projectId, name).executeTakeFirst())) {
          throw childUnknown(kind, project, name);
        }
        await trx
          .deleteFrom('project_config_maps')
          .where('project_id', '=', projectId)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'delete', name);
      });
    },
  };
}
