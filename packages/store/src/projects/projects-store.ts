import { ConflictError, type ImageReference, projectLimitMessage } from '@berth/domain';
import type { Db, ProjectStatus, WorkloadKind } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import {
  type ProjectRecord,
  requireProject,
  requireRegion,
  selectProjects,
  toProjectRecord,
} from './project-rows.js';
import { resolvePointerStates } from './pointer-states.js';
import { createWorkloadsStore } from './workloads-store.js';
import { createSecretsStore } from './secrets-store.js';
import { createConfigMapsStore } from './config-maps-store.js';
import { createProjectKeysStore } from './project-keys.js';
import { createProjectLifecycleStore } from './project-lifecycle.js';

export interface NewProject {
  /** Chosen by the caller: the data key is wrapped with the id as its context. */
  id: string;
  name: string;
  region: string;
  keyId: string;
  wrapped: Uint8Array;
}

export interface ProjectQuotaRecord {
  /** Every project of the region, soft-deleted ones included. */
  used: number;
  deleted: number;
}

export interface ProjectDeletionRecord {
  project: ProjectRecord;
  apps: string[];
  jobs: { name: string; kind: WorkloadKind }[];
  secrets: string[];
  configMaps: string[];
  /** Every workload's image pointer, for the caller to tell which lead into this registry. */
  pointers: ImageReference[];
}

export function createProjectsStore(db: Db) {
  return {
    /**
     * The limit counts soft-deleted projects, and names stay taken while a project is in
     * Deleted projects so that its restore can never conflict. The count and the insert share
     * one write transaction (BEGIN IMMEDIATE), so two processes cannot both take the last slot.
     */
    async create(input: NewProject, limit: number, ctx: ActionContext): Promise<ProjectRecord> {
      return db.transaction().execute(async (trx) => {
        await requireRegion(trx, input.region);
        const same = await trx
          .selectFrom('projects')
          .select('status')
          .where('region', '=', input.region)
          .where('name', '=', input.name)
          .executeTakeFirst();
        if (same) {
          throw new ConflictError(
            'PROJECT_EXISTS',
            same.status === 'deleted'
              ? `project "${input.name}" is in Deleted projects of region ${input.region}; restore it, or delete it permanently to reuse the name`
              : `project "${input.name}" already exists in region ${input.region}`,
          );
        }
        const inRegion = await trx
          .selectFrom('projects')
          .select(['name', 'status', 'purge_at'])
          .where('region', '=', input.region)
          .execute();
        if (inRegion.length >= limit) {
          const deleted = inRegion
            .filter((p) => p.status === 'deleted')
            .map((p) => ({ name: p.name, purgeAt: p.purge_at ?? 0 }));
          throw new ConflictError(
            'PROJECT_LIMIT',
            projectLimitMessage(input.region, limit, deleted),
            { limit, used: inRegion.length, deleted: deleted.map((d) => d.name) },
          );
        }
        await trx
          .insertInto('projects')
          .values({
            id: input.id,
            region: input.region,
            name: input.name,
            status: 'active',
            created_at: ctx.now,
            created_by: ctx.actor,
            deleted_at: null,
            deleted_by: null,
            purge_at: null,
            key_id: input.keyId,
            data_key: input.wrapped,
          })
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'project.create',
          target: input.id,
          outcome: 'success',
          details: { name: input.name, region: input.region },
        });
        return requireProject(trx, input.id);
      });
    },

    get: (id: string) => requireProject(db, id),

    async list(region: string, status: ProjectStatus): Promise<ProjectRecord[]> {
      await requireRegion(db, region);
      const rows = await selectProjects(db)
        .where('p.region', '=', region)
        .where('p.status', '=', status)
        .orderBy('p.name')
        .execute();
      return rows.map(toProjectRecord);
    },

    async quota(region: string): Promise<ProjectQuotaRecord> {
      const rows = await db
        .selectFrom('projects')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('region', '=', region)
        .groupBy('status')
        .execute();
      const count = (s: ProjectStatus) => Number(rows.find((r) => r.status === s)?.n ?? 0);
      return { used: count('active') + count('deleted'), deleted: count('deleted') };
    },

    async deletionPreview(id: string): Promise<ProjectDeletionRecord> {
      const project = await requireProject(db, id);
      const workloads = await db
        .selectFrom('project_workloads')
        .select([
          'family',
          'kind',
          'name',
          'image_registry',
          'image_namespace',
          'image_repository',
          'image_tag',
          'image_digest',
        ])
        .where('project_id', '=', id)
        .orderBy('family')
        .orderBy('name')
        .execute();
      const names = async (table: 'project_secrets' | 'project_config_maps') =>
        (
          await db
            .selectFrom(table)
            .select('name')
            .where('project_id', '=', id)
            .orderBy('name')
            .execute()
        ).map((r) => r.name);
      return {
        project,
        apps: workloads.filter((w) => w.family === 'app').map((w) => w.name),
        jobs: workloads
          .filter((w) => w.family === 'job')
          .map((w) => ({ name: w.name, kind: w.kind })),
        secrets: await names('project_secrets'),
        configMaps: await names('project_config_maps'),
        pointers: workloads.map((w) => ({
          registry: w.image_registry,
          namespace: w.image_namespace,
          repository: w.image_repository,
          tag: w.image_tag,
          digest: w.image_digest,
        })),
      };
    },

    pointerStates: (pointers: readonly ImageReference[], localHosts: readonly string[]) =>
      resolvePointerStates(db, pointers, localHosts),

    ...createProjectLifecycleStore(db),
    ...createProjectKeysStore(db),
    workloads: createWorkloadsStore(db),
    secrets: createSecretsStore(db),
    configMaps: createConfigMapsStore(db),
  };
}
