import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import {
  type BlobDriver,
  type Store,
  type StoreHandle,
  createFilesystemDriver,
  createStore,
  openPostgres,
  openSqlite,
} from '@berth/store';
import { loadConfig } from '../../config.js';
import { DB_FILE } from '../../data-dir.js';
import { loadKeyring } from '../projects/keyring.js';
import { createRegistryService, type RegistryService } from '../registry/registry-service.js';

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
  const config = loadConfig(process.env);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  let handle: StoreHandle;
  if (config.databaseUrl !== null) handle = await openPostgres(config.databaseUrl, { poolSize: 2 });
  else {
    const dbFile = path.join(config.dataDir, DB_FILE);
    if (!fs.existsSync(dbFile)) {
      throw new Error(`no Berth database at ${dbFile}: start Berth once, or set BERTH_DATA_DIR`);
    }
    handle = await openSqlite(dbFile);
  }
  let closeS3 = () => {};
  try {
    const store = createStore(handle.db);
    let blobs: BlobDriver;
    if (config.blobStore) {
      // Loaded only when blobs are in S3, as the server does.
      const { createS3Client, createS3Driver } = await import('@berth/store/s3');
      const client = createS3Client(config.blobStore);
      blobs = createS3Driver({
        client,
        bucket: config.blobStore.bucket,
        prefix: config.blobStore.prefix,
      });
      closeS3 = () => client.destroy();
    } else {
      blobs = createFilesystemDriver(config.dataDir);
    }
    const keyring = loadKeyring({
      rootKey: config.rootKey,
      rootKeyFile: config.rootKeyFile,
      // As the server: root keys that wrap project or image data keys must all be there.
      keyIdsInUse: [
        ...new Set([
          ...(await store.projects.keyIds()),
          ...(await store.imageDataKeys.rootKeyIds()),
        ]),
      ],
      logger,
    });
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
    return {
      store,
      blobs,
      registry,
      async close() {
        await handle.close();
        closeS3();
      },
    };
  } catch (error) {
    await handle.close();
    closeS3();
    throw error;
  }
}
