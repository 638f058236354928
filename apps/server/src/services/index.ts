import type { ServiceDeps } from './deps.js';
import { createGcService } from './gc-service.js';
import { createImagesService } from './images-service.js';
import { createNamespacesService } from './namespaces-service.js';
import { createRegistryService } from './registry/registry-service.js';
import { createTrashService } from './trash-service.js';
import { createRetentionService } from './retention/retention-service.js';
import { createRetentionScheduler } from './retention/retention-scheduler.js';
import { type ImagePointerSource, noImagePointers } from './retention/image-pointers.js';

export function createServices(deps: ServiceDeps, pointers: ImagePointerSource = noImagePointers) {
  const registry = createRegistryService(deps);
  return {
    namespaces: createNamespacesService(deps),
    images: createImagesService(deps),
    trash: createTrashService(deps),
    registry,
    gc: createGcService(deps, registry.uploads),
    retention: createRetentionService(deps, pointers),
    retentionScheduler: createRetentionScheduler(deps, pointers),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock, RegistrySettings } from './deps.js';
