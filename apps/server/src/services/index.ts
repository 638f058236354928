import type { ServiceDeps } from './deps.js';
import { createImagesService } from './images-service.js';
import { createNamespacesService } from './namespaces-service.js';
import { createTrashService } from './trash-service.js';

export function createServices(deps: ServiceDeps) {
  return {
    namespaces: createNamespacesService(deps),
    images: createImagesService(deps),
    trash: createTrashService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock } from './deps.js';
