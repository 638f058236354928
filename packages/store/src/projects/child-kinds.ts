import {
  ConflictError,
  MAX_PROJECT_CHILDREN,
  NotFoundError,
  projectChildLimitMessage,
} from '@berth/domain';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import type { ProjectRecord } from './project-rows.js';

// The rules apps, jobs, secrets and config maps share: names unique per kind and project,
// a limit per kind, and one audit action per change.

/** How a child kind reads in codes, messages and audit actions. */
export interface ChildKind {
  /** "app", "job", "secret", "config map" */
  label: string;
  /** APP, JOB, SECRET, CONFIG_MAP: prefix of the _UNKNOWN and _EXISTS codes. */
  code: string;
  /** app, job, secret, config-map: the middle of project.<kind>.<verb> audit actions. */
  audit: string;
}

export const childKinds = {
  app: { label: 'app', code: 'APP', audit: 'app' },
  job: { label: 'job', code: 'JOB', audit: 'job' },
  secret: { label: 'secret', code: 'SECRET', audit: 'secret' },
  configMap: { label: 'config map', code: 'CONFIG_MAP', audit: 'config-map' },
} satisfies Record<string, ChildKind>;

export function childUnknown(kind: ChildKind, project: { name: string }, name: string) {
  return new NotFoundError(
    `${kind.code}_UNKNOWN`,
    `project "${project.name}" has no ${kind.label} "${name}"`,
  );
}

export function childExists(kind: ChildKind, project: { name: string }, name: string) {
  return new ConflictError(
    `${kind.code}_EXISTS`,
    `project "${project.name}" already has a ${kind.label} "${name}"`,
  );
}

/** Each kind on its own: a full set of config maps does not stop a new app. */
export function requireRoom(kind: ChildKind, project: { name: string }, count: number): void {
  if (count >= MAX_PROJECT_CHILDREN) {
    throw new ConflictError(
      'PROJECT_CHILD_LIMIT',
      projectChildLimitMessage(project.name, kind.label),
    );
  }
}

export async function auditChild(
  db: Db,
  ctx: ActionContext,
  project: ProjectRecord,
  kind: ChildKind,
  verb: 'create' | 'update' | 'delete',
  name: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(db, ctx.now, {
    actor: ctx.actor,
    action: `project.${kind.audit}.${verb}`,
    target: `${project.id}/${name}`,
    outcome: 'success',
    details: { project: project.name, region: project.region, name, ...details },
  });
}
