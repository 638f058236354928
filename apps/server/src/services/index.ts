import type { ServiceDeps } from './deps.js';
import { createGcService } from './gc-service.js';
import { createImagesService } from './images-service.js';
import { createNamespacesService } from './namespaces-service.js';
import { createRegistryService } from './registry/registry-service.js';
import { createTrashService } from './trash-service.js';

export function createServices(deps: ServiceDeps) {
  const registry = createRegistryService(deps);
  return {
    namespaces: createNamespacesService(deps),
    images: createImagesService(deps),
    trash: createTrashService(deps),
    registry,
    gc: createGcService(deps, registry.uploads),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock, RegistrySettings } from './deps.js';
