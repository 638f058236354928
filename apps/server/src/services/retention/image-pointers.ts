import type { ImagePointer } from '@berth/domain';
import type { ServiceDeps } from '../deps.js';

/**
 * Where retention learns which images something outside the registry uses, so it never
 * deletes them: the apps, jobs and job templates of projects (soft-deleted ones included,
 * since a restore must find its images) whose pointers lead into this registry.
 */
export interface ImagePointerSource {
  forNamespace(namespace: string): Promise<ImagePointer[]>;
}

export function projectImagePointers({ store, projects }: ServiceDeps): ImagePointerSource {
  return {
    forNamespace: (namespace) =>
      store.imageUses.pointersForNamespace(namespace, projects.registryHosts),
  };
}
