import type { ServiceDeps } from './deps.js';
import { createAdvisoriesService } from './advisories/advisories-service.js';
import { createGcService } from './gc-service.js';
import { createScanService } from './scanning/scan-service.js';
import { createPushActivity } from './scanning/push-activity.js';
import { createScanResultsService } from './scanning/scan-results-service.js';
import { createVulnerabilityTotalsService } from './scanning/vulnerability-totals-service.js';
import { createSbomReferrers } from './scanning/sbom-referrer.js';
import { createImagesService } from './images-service.js';
import { createImageDetailsService } from './image-details-service.js';
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
import { createBackupService } from './backup/backup-service.js';
import { createRegistryTokens } from './identity/registry-tokens.js';
import { createRepositorySearch } from './registry/repository-search.js';
import { createSearchService } from './search-service.js';
import { createOciExportService } from './oci-layout/export-service.js';
import {
  DEFAULT_OPERATION_SETTINGS,
  createOperationRunner,
} from './operations/operation-runner.js';
import { createOperationsService } from './operations/operations-service.js';
import { registerRestoreKinds } from './operations/restore-kinds.js';
import { registerTrashKinds } from './operations/trash-kinds.js';

export function createServices(deps: ServiceDeps) {
  const pushActivity = createPushActivity();
  // The scanner attaches SBOMs through the registry, which tells the scanner of pushes.
  const scanner = createScanService(deps, pushActivity, (scan) => sboms.afterScan(scan));
  const registry = createRegistryService(deps, scanner.poke);
  const sboms = createSbomReferrers(deps, registry);
  const pointers = projectImagePointers(deps);
  const access = createAccessService(deps);
  // Created first: services that start bulk work register their kinds of operation with it.
  const operationRunner = createOperationRunner(
    deps,
    deps.operations ?? DEFAULT_OPERATION_SETTINGS,
  );
  const operations = createOperationsService(deps, access, operationRunner);
  const gc = createGcService(deps, registry.uploads);
  registerTrashKinds(operationRunner, deps.store, () => gc.finishInterrupted());
  registerRestoreKinds(operationRunner);
  return {
    /** The services' clock, for callers that keep time-bounded state of their own. */
    clock: deps.clock,
    operationRunner,
    operations,
    identity: createIdentityService(deps, deps.identity),
    access,
    registryTokens: createRegistryTokens(deps, access),
    audit: createAuditService(deps),
    namespaces: createNamespacesService(deps, access, operations, operationRunner),
    images: createImagesService(deps, operations, operationRunner),
    imageDetails: createImageDetailsService(deps),
    trash: createTrashService(deps, operations, operationRunner),
    registry,
    repositorySearch: createRepositorySearch(deps, access),
    search: createSearchService(deps, access),
    gc,
    advisories: createAdvisoriesService(deps),
    scanner,
    pushActivity,
    scans: createScanResultsService(deps, scanner, sboms),
    vulnerabilityTotals: createVulnerabilityTotalsService(deps, access),
    sboms,
    ociExport: createOciExportService(deps, registry),
    retention: createRetentionService(deps, pointers, operations, operationRunner),
    retentionScheduler: createRetentionScheduler(deps, pointers, operationRunner),
    projects: createProjectsService(deps),
    projectSweeper: createProjectSweeper(deps),
    backups: createBackupService(deps, deps.backup),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock, RegistrySettings } from './deps.js';
