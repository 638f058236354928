import type { ServiceDeps } from './deps.js';
import { createGcService } from './gc-service.js';
import { createImagesService } from './images-service.js';
import { createNamespacesService } from './namespaces-service.js';
import { createRegistryService } from './registry/registry-service.js';
import { createTrashService } from './trash-service.js';
import { createRetentionService } from './retention/retention-service.js';
import { createRetentionScheduler } from './retention/retention-scheduler.js';
import { projectImagePointers } from './retention/image-pointers.js';
import { createProjectsService } from './projects/projects-service.js';
import { createProjectSweeper } from './projects/project-sweeper.js';
import { createIdentityService } from './identity/identity-service.js';
import { createAccessService } from './identity/access-service.js';
import { createAuditService } from './audit-service.js';
import { createRegistryTokens } from './identity/registry-tokens.js';
import { createRepositorySearch } from './registry/repository-search.js';

export function createServices(deps: ServiceDeps) {
  const registry = createRegistryService(deps);
  const pointers = projectImagePointers(deps);
  const access = createAccessService(deps);
  return {
    /** The services' clock, for callers that keep time-bounded state of their own. */
    clock: deps.clock,
    identity: createIdentityService(deps, deps.identity),
    access,
    registryTokens: createRegistryTokens(deps, access),
    audit: createAuditService(deps),
    namespaces: createNamespacesService(deps, access),
    images: createImagesService(deps),
    trash: createTrashService(deps),
    registry,
    repositorySearch: createRepositorySearch(deps, access),
    gc: createGcService(deps, registry.uploads),
    retention: createRetentionService(deps, pointers),
    retentionScheduler: createRetentionScheduler(deps, pointers),
    projects: createProjectsService(deps),
    projectSweeper: createProjectSweeper(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock, RegistrySettings } from './deps.js';
