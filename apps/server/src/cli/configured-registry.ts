import type { BlobDriver, Store } from '@berth/store';
import {
  createRegistryService,
  type RegistryService,
} from '../services/registry/registry-service.js';
import { openConfiguredInstallation } from './configured-installation.js';

export interface CliRegistry {
  store: Store;
  blobs: BlobDriver;
  registry: RegistryService;
  close(): Promise<void>;
}

/**
 * The registry service over the configured database and blob store (BERTH_DATA_DIR,
 * BERTH_DATABASE_URL, BERTH_BLOB_STORE), for commands that run beside a serving Berth: they
 * read and push exactly as /v2 does, so whatever the server applies to pushes and pulls
 * applies to them. Pushes queue their scans in the database; the server's scanner takes them.
 */
export async function openCliRegistry(): Promise<CliRegistry> {
  const { config, logger, store, blobs, keyring, close } = await openConfiguredInstallation();
  try {
    const registry = createRegistryService({
      store,
      blobs,
      clock: Date.now,
      logger,
      regions: config.regions,
      registry: {
        dataDir: config.dataDir,
        // An import goes into a namespace that exists: it never creates one.
        createNamespaceOnPush: false,
        gcGraceMs: config.gcGraceMs,
        uploadTtlMs: config.uploadTtlMs,
        blobRedirectSeconds: null,
        encryptImageData: config.encryptImageData,
      },
      projects: { limit: config.projectLimit, registryHosts: config.registryHosts },
      operations: config.operations,
      scanning: config.scanning,
      keyring,
      identity: {
        sessionIdleMs: config.sessionIdleMs,
        sessionMaxMs: config.sessionMaxMs,
        throttle: config.loginThrottle,
      },
    });
    return { store, blobs, registry, close };
  } catch (error) {
    await close();
    throw error;
  }
}
