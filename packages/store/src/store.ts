import type { Db } from './database.js';
import { createAuditStore } from './audit-store.js';
import { createGcStore } from './blob-reclaim.js';
import { createFirstStartStore } from './first-start-store.js';
import { createJobSlotsStore } from './job-slots-store.js';
import { createRegistryStore } from './registry-store.js';
import { createImagesStore } from './images-store.js';
import { createImageDetailsStore } from './image-details-store.js';
import { createNamespacesStore } from './namespaces-store.js';
import { createRepositoriesStore } from './repositories-store.js';
import { createSearchStore } from './search-store.js';
import { createTrashStore } from './trash-store.js';
import { createImageUsesStore } from './projects/image-uses.js';
import { createProjectsStore } from './projects/projects-store.js';
import { createImageDataKeysStore } from './encryption/image-data-keys-store.js';
import { createUsersStore } from './identity/users-store.js';
import { createSessionsStore } from './identity/sessions-store.js';
import { createSignInFailuresStore } from './identity/sign-in-failures-store.js';
import { createApiKeysStore } from './identity/api-keys-store.js';
import { createMembersStore } from './identity/members-store.js';
import { createOperationsStore } from './operations/operations-store.js';
import { createUploadSessionsStore } from './upload-sessions-store.js';
import { createAdvisoriesStore } from './advisories/advisories-store.js';
import { createScansStore } from './scans/scans-store.js';
import { createVulnerabilityTotalsStore } from './scans/vulnerability-totals.js';
import { createRetentionStore, type RetentionStoreOptions } from './retention/retention-store.js';

/** Everything the services need from the metadata database, one group per resource. */
export function createStore(db: Db, options: RetentionStoreOptions = {}) {
  return {
    db,
    namespaces: createNamespacesStore(db),
    repositories: createRepositoriesStore(db),
    search: createSearchStore(db),
    images: createImagesStore(db),
    imageDetails: createImageDetailsStore(db),
    trash: createTrashStore(db),
    audit: createAuditStore(db),
    registry: createRegistryStore(db),
    gc: createGcStore(db),
    retention: createRetentionStore(db, options),
    imageUses: createImageUsesStore(db),
    projects: createProjectsStore(db),
    users: createUsersStore(db),
    sessions: createSessionsStore(db),
    signInFailures: createSignInFailuresStore(db),
    apiKeys: createApiKeysStore(db),
    members: createMembersStore(db),
    firstStart: createFirstStartStore(db),
    jobSlots: createJobSlotsStore(db),
    operations: createOperationsStore(db),
    uploadSessions: createUploadSessionsStore(db),
    advisories: createAdvisoriesStore(db),
    scans: createScansStore(db),
    vulnerabilityTotals: createVulnerabilityTotalsStore(db),
    imageDataKeys: createImageDataKeysStore(db),
  };
}

export type Store = ReturnType<typeof createStore>;
