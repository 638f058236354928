import { ConflictError, InputError, projectPurgeAt } from '@berth/domain';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import {
  type ProjectRecord,
  destroyProject,
  requireProject,
  selectProjects,
  toProjectRecord,
} from './project-rows.js';

export interface PurgedProject {
  id: string;
  name: string;
  region: string;
}

/** The console sends the name the person typed: a mismatch refuses before anything changes. */
function checkConfirmation(project: ProjectRecord, confirm: string | undefined): void {
  if (confirm !== undefined && confirm !== project.name) {
    throw new InputError(
      'CONFIRMATION_MISMATCH',
      `the confirmation "${confirm}" does not match the project name "${project.name}"; nothing was deleted`,
      { field: 'confirm' },
    );
  }
}

const PURGE_BATCH = 100;

/** Soft delete, restore, hard delete and the purge after the restore window. */
export function createProjectLifecycleStore(db: Db) {
  return {
    /** Moves a project to Deleted projects for 7 days; everything it holds stays as it is. */
    async softDelete(
      id: string,
      opts: { confirm?: string },
      ctx: ActionContext,
    ): Promise<ProjectRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireProject(trx, id);
        checkConfirmation(project, opts.confirm);
        if (project.status === 'deleted') {
          throw new ConflictError(
            'PROJECT_ALREADY_DELETED',
            `project "${project.name}" is already in Deleted projects; delete it permanently with hard=true`,
          );
        }
        const purgeAt = projectPurgeAt(ctx.now);
        await trx
          .updateTable('projects')
          .set({ status: 'deleted', deleted_at: ctx.now, deleted_by: ctx.actor, purge_at: purgeAt })
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'project.delete',
          target: id,
          outcome: 'success',
          details: { name: project.name, region: project.region, permanent: false, purgeAt },
        });
        return requireProject(trx, id);
      });
    },

    /** Deletes an active or soft-deleted project now, destroying its data key. */
    async hardDelete(
      id: string,
      opts: { confirm?: string },
      ctx: ActionContext,
    ): Promise<ProjectRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireProject(trx, id);
        checkConfirmation(project, opts.confirm);
        await destroyProject(trx, id);
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'project.delete',
          target: id,
          outcome: 'success',
          details: {
            name: project.name,
            region: project.region,
            permanent: true,
            wasSoftDeleted: project.status === 'deleted',
            ...project.counts,
          },
        });
        return { ...project, status: 'deleted', deletedAt: ctx.now, purgeAt: null };
      });
    },

    async restore(id: string, ctx: ActionContext): Promise<ProjectRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireProject(trx, id);
        if (project.status !== 'deleted') {
          throw new ConflictError(
            'PROJECT_NOT_DELETED',
            `project "${project.name}" is not deleted; there is nothing to restore`,
          );
        }
        if (project.purgeAt !== null && project.purgeAt <= ctx.now) {
          throw new ConflictError(
            'PROJECT_RESTORE_EXPIRED',
            `project "${project.name}" passed its days in Deleted projects and is being deleted permanently`,
          );
        }
        await trx
          .updateTable('projects')
          .set({ status: 'active', deleted_at: null, deleted_by: null, purge_at: null })
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'project.restore',
          target: id,
          outcome: 'success',
          details: { name: project.name, region: project.region, deletedAt: project.deletedAt },
        });
        return requireProject(trx, id);
      });
    },

    /**
     * Deletes every soft-deleted project whose restore window has ended, each in its own
     * transaction. The delete is conditional and the audit entry is written only by the call
     * whose delete removed the row, so with several processes sweeping, each project is purged
     * (and audited) exactly once.
     */
    async purgeExpired(now: number, actor: string): Promise<PurgedProject[]> {
      const due = await db
        .selectFrom('projects')
        .select('id')
        .where('status', '=', 'deleted')
        .where('purge_at', '<=', now)
        .orderBy('purge_at')
        .limit(PURGE_BATCH)
        .execute();
      const purged: PurgedProject[] = [];
      for (const { id } of due) {
        const done = await db.transaction().execute(async (trx) => {
          const project = await selectProjects(trx).where('p.id', '=', id).executeTakeFirst();
          if (!project || !(await destroyProject(trx, id, now))) return null;
          const record = toProjectRecord(project);
          await recordAudit(trx, now, {
            actor,
            action: 'project.purge',
            target: id,
            outcome: 'success',
            details: {
              name: record.name,
              region: record.region,
              deletedAt: record.deletedAt,
              purgeAt: record.purgeAt,
              ...record.counts,
            },
          });
          return { id, name: record.name, region: record.region };
        });
        if (done) purged.push(done);
      }
      return purged;
    },
  };
}
