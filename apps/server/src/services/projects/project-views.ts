import type { App, ConfigMap, Job, ProjectSummary, Secret } from '@berth/contract';
import type {
  ConfigMapRecord,
  PointerState,
  ProjectRecord,
  SecretRecord,
  WorkloadRecord,
} from '@berth/store';
import { iso, isoOrNull } from '../iso.js';

// Store records to contract shapes: dates become ISO text, pointers carry where they lead.

/** A project as the contract shows it, before the caller's role is added. */
export type ProjectView = Omit<ProjectSummary, 'role'>;

export function projectView(p: ProjectRecord): ProjectView {
  return {
    id: p.id,
    name: p.name,
    region: p.region,
    status: p.status,
    createdAt: iso(p.createdAt),
    createdBy: p.createdBy,
    deletedAt: isoOrNull(p.deletedAt),
    purgeAt: isoOrNull(p.purgeAt),
    counts: p.counts,
  };
}

export function appView(w: WorkloadRecord, state: PointerState): App {
  return {
    name: w.name,
    image: { pointer: w.imageText, ...w.image, ...state },
    command: w.command,
    env: w.env,
    cpu: w.cpu,
    memoryMiB: w.memoryMiB,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

export function jobView(w: WorkloadRecord, state: PointerState): Job {
  return { ...appView(w, state), kind: w.kind === 'template' ? 'template' : 'job' };
}

export function secretView(s: SecretRecord): Secret {
  return { ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) };
}

export function configMapView(c: ConfigMapRecord): ConfigMap {
  return { ...c, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) };
}
