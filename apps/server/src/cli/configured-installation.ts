/**
 * The installation a server-side command works on, read from the server's own environment
 * (BERTH_DATA_DIR, BERTH_DATABASE_URL, BERTH_BLOB_STORE, BERTH_ROOT_KEY / BERTH_ROOT_KEY_FILE),
 * so that a command run beside a serving Berth opens exactly what the server opened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import {
  type BlobDriver,
  createFilesystemDriver,
  createStore,
  openPostgres,
  openSqlite,
  type S3Location,
  type Store,
  type StoreHandle,
} from '@berth/store';
import { type Config, loadConfig } from '../config.js';
import { DB_FILE } from '../data-dir.js';
import { type Keyring, loadKeyring } from '../services/projects/keyring.js';

/** The configured database: PostgreSQL, or the SQLite file a first start of Berth created. */
export async function openConfiguredDatabase(config: Config): Promise<StoreHandle> {
  // A small pool: a command beside the servers must not take their connections.
  if (config.databaseUrl !== null) return openPostgres(config.databaseUrl, { poolSize: 2 });
  const dbFile = path.join(config.dataDir, DB_FILE);
  // Opening a missing file would create an empty database and hide a wrong BERTH_DATA_DIR.
  if (!fs.existsSync(dbFile)) {
    throw new Error(`no Berth database at ${dbFile}: start Berth once, or set BERTH_DATA_DIR`);
  }
  return openSqlite(dbFile);
}

/**
 * The blob store: in S3 at `location` (the SDK loaded only then, as the server does), else
 * under the data directory.
 */
export async function openBlobStore(
  dataDir: string,
  location: S3Location | null,
): Promise<{ blobs: BlobDriver; close(): void }> {
  if (!location) return { blobs: createFilesystemDriver(dataDir), close: () => undefined };
  const { createS3Client, createS3Driver } = await import('@berth/store/s3');
  const client = createS3Client(location);
  return {
    blobs: createS3Driver({ client, bucket: location.bucket, prefix: location.prefix }),
    close: () => client.destroy(),
  };
}

/** Root key ids that wrap something: projects' data keys and namespaces' image-data keys. */
export async function rootKeyIdsInUse(store: Store): Promise<string[]> {
  return [
    ...new Set([...(await store.projects.keyIds()), ...(await store.imageDataKeys.rootKeyIds())]),
  ];
}

/** The root keys, refused (as by the server) unless every key that wraps something is there. */
export async function loadConfiguredKeyring(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<Keyring> {
  return loadKeyring({
    rootKey: config.rootKey,
    rootKeyFile: config.rootKeyFile,
    keyIdsInUse: await rootKeyIdsInUse(store),
    logger,
  });
}

export interface ConfiguredInstallation {
  config: Config;
  /** Warnings only, on stderr: stdout is the command's result. */
  logger: Logger;
  store: Store;
  blobs: BlobDriver;
  keyring: Keyring;
  close(): Promise<void>;
}

/** Database, blob store and root keys together; whatever was opened is closed on a failure. */
export async function openConfiguredInstallation(): Promise<ConfiguredInstallation> {
  const config = loadConfig(process.env);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const handle = await openConfiguredDatabase(config);
  let closeBlobs = () => {};
  const close = async () => {
    await handle.close();
    closeBlobs();
  };
  try {
    const store = createStore(handle.db);
    const { blobs, close: closeS3 } = await openBlobStore(config.dataDir, config.blobStore);
    closeBlobs = closeS3;
    const keyring = await loadConfiguredKeyring(config, store, logger);
    return { config, logger, store, blobs, keyring, close };
  } catch (error) {
    await close();
    throw error;
  }
}
