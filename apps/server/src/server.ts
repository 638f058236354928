import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import https from 'node:https';
import { pino, type Logger } from 'pino';
import {
  type BlobDriver,
  type S3Location,
  type StoreHandle,
  type Store,
  createFilesystemDriver,
  createStore,
  openPostgres,
  openSqlite,
  takeFirstStartLock,
} from '@berth/store';
import { type Config, listenProblem } from './config.js';
import {
  DB_FILE,
  type StartLock,
  createDbFile,
  prepareDataDir,
  removeFirstStartLeftovers,
  firstStartInterrupted,
  takeStartLock,
} from './data-dir.js';
import { createApp } from './app.js';
import { postgresBackupUnavailable } from './services/backup/postgres-dump.js';
import { createServices, type Clock, type Services } from './services/index.js';
import { seedDemo } from './seed/demo-seed.js';
import { createImageData } from './services/encryption/image-data.js';
import { createManifestSealing } from './services/encryption/manifest-sealing.js';
import { configureCipherPool } from './services/encryption/segment-cipher-pool.js';
import { loadKeyring } from './services/projects/keyring.js';

const OPTIMIZE_INTERVAL_MS = 60 * 60_000;

export interface RunningServer {
  port: number;
  server: Server;
  store: Store;
  blobs: BlobDriver;
  /** For tests and in-process callers (the platform runtime reads secret values here). */
  services: Services;
  close(): Promise<void>;
}

/** Opens the data directory, seeds the demo on first start, and listens. */
export async function startServer(
  config: Config,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? Date.now;
  prepareDataDir(config.dataDir, config.umask, logger);
  configureCipherPool(config.cipherWorkers);
  const keyFileExisted = fs.existsSync(config.rootKeyFile);
  const { handle, firstStart } = await openDatabase(config, logger);
  const store = createStore(handle.db, {
    // Large retention previews read the database on worker threads of their own.
    ...(config.databaseUrl === null
      ? { file: path.join(config.dataDir, DB_FILE) }
      : { postgresUrl: config.databaseUrl }),
    onWorkerFailure: (err) =>
      logger.warn({ err }, 'a retention preview worker failed; the preview ran on the main thread'),
  });
  const s3 = config.blobStore ? await openS3Blobs(config.blobStore) : null;
  const blobs = s3?.driver ?? createFilesystemDriver(config.dataDir);
  let services: Services;
  try {
    const prepared = await prepare({ config, logger, clock, store, blobs, firstStart });
    services = prepared.services;
    if (firstStart) {
      await store.firstStart.complete(clock());
      firstStart.release();
    }
    if (prepared.oneTime) announceOneTimePassword(config.admin.username, prepared.oneTime, logger);
  } catch (err) {
    await handle.close();
    if (firstStart && config.databaseUrl === null) {
      // All or nothing: what this first start created goes, and the next start does it again.
      removeFirstStartLeftovers(config.dataDir);
      if (!keyFileExisted && config.rootKey === null)
        fs.rmSync(config.rootKeyFile, { force: true });
    }
    firstStart?.release();
    throw err;
  }
  try {
    // Blobs a crash left marked `deleting` would make a re-push wait and a manifest naming
    // them fail until the next GC: finish them before the first request.
    await services.gc.finishInterrupted();
  } catch (err) {
    await handle.close();
    throw err;
  }

  // Before clients come back: what uploads cut short by a crash left behind goes first.
  await services.gc
    .sweepStray()
    .catch((err: unknown) => logger.error({ err }, 'sweeping stray upload files failed'));

  const app = createApp({
    services,
    logger,
    consoleDir: config.consoleDir,
    tls: config.tls !== null,
    trustProxy: config.trustProxy,
    tokenTtlSeconds: config.tokenTtlSeconds,
  });
  let server: Server;
  try {
    server = config.tls
      ? https.createServer(
          { cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) },
          app,
        )
      : http.createServer(app);
  } catch (err) {
    await handle.close();
    throw new Error(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await handle.close();
    throw new Error(listenProblem(err as NodeJS.ErrnoException, config.host, config.port));
  }
  // Slowloris guard: a client must send its headers promptly.
  server.headersTimeout = 30_000;
  server.requestTimeout = 5 * 60_000;
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, dataDir: config.dataDir, tls: config.tls !== null }, 'listening');

  const sweep = () => {
    void services.identity
      .sweepSessions()
      .catch((err: unknown) => logger.error({ err }, 'session sweep failed'));
    return services.trash
      .sweep()
      .catch((err: unknown) => logger.error({ err }, 'trash sweep failed'));
  };
  void sweep();
  // Bulk work a crash or a stop cut short goes on from its last chunk.
  const resumeOperations = () =>
    services.operationRunner
      .resume()
      .catch((err: unknown) => logger.error({ err }, 'resuming operations failed'));
  void resumeOperations();
  const timer = setInterval(sweep, config.trashSweepIntervalMs);
  timer.unref();
  const gc = () =>
    services.gc
      .runScheduled(config.gcIntervalMs)
      .catch((err: unknown) => logger.error({ err }, 'garbage collection failed'));
  const gcTimer = setInterval(gc, config.gcIntervalMs);
  gcTimer.unref();
  const schedule = () => {
    void services.retentionScheduler
      .tick()
      .catch((err: unknown) => logger.error({ err }, 'scheduled work failed'));
    void services.projectSweeper
      .tick()
      .catch((err: unknown) => logger.error({ err }, 'project sweep failed'));
    void services.backups
      .tick()
      .catch((err: unknown) => logger.error({ err }, 'scheduled backup failed'));
    void resumeOperations();
  };
  const scheduleTimer = setInterval(schedule, config.schedulerIntervalMs);
  scheduleTimer.unref();
  // Scans queued before a stop (or by another process) are taken up again.
  services.scanner.start();
  const scanSweep = () =>
    services.scanner
      .runScheduled(SCAN_SWEEP_INTERVAL_MS)
      .catch((err: unknown) => logger.error({ err }, 'sweeping scan results failed'));
  const scanSweepTimer = setInterval(scanSweep, SCAN_SWEEP_INTERVAL_MS);
  scanSweepTimer.unref();
  // Tables grow from a handful of rows to millions while the server runs; statistics taken
  // at start-up would then mislead the planner. PRAGMA optimize re-analyzes only what changed.
  const optimize = () =>
    handle
      .optimize()
      .catch((err: unknown) => logger.warn({ err }, 'refreshing query planner statistics failed'));
  const optimizeTimer = setInterval(optimize, OPTIMIZE_INTERVAL_MS);
  optimizeTimer.unref();

  let closing: Promise<void> | null = null;
  return {
    port,
    server,
    store,
    blobs,
    services,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        clearInterval(gcTimer);
        clearInterval(scheduleTimer);
        clearInterval(optimizeTimer);
        clearInterval(scanSweepTimer);
        await services.scanner.stop();
        // A tick in progress finishes (or rolls back) before the database closes.
        await services.retentionScheduler.settled();
        await services.projectSweeper.settled();
        await services.backups.settled();
        // Operations stop at a chunk boundary and let go of their claims; the next start resumes.
        await services.operationRunner.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await handle.close();
        s3?.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

/** Scan results expire by the day: an hourly look deletes each within the hour it is due. */
const SCAN_SWEEP_INTERVAL_MS = 60 * 60_000;

/** WAL checkpoints off the event loop: a commit of a bulk chunk no longer copies and fsyncs. */
const SERVER_DATABASE = { backgroundCheckpoints: true };

/**
 * Opens the database, doing the first start under start.lock when it has not finished: a
 * database without the record of a finished first start (or a lock its process left) is what
 * a first start that died half-way leaves, and it is removed and done again.
 */
async function openDatabase(
  config: Config,
  logger: Logger,
): Promise<{ handle: StoreHandle; firstStart: Pick<StartLock, 'release'> | null }> {
  if (config.databaseUrl !== null) return openPostgresDatabase(config.databaseUrl);
  const dbFile = path.join(config.dataDir, DB_FILE);
  const finished = async (): Promise<StoreHandle | null> => {
    if (!fs.existsSync(dbFile)) return null;
    const handle = await openSqlite(dbFile, SERVER_DATABASE);
    if (await createStore(handle.db).firstStart.completed()) return handle;
    await handle.close();
    return null;
  };
  // The database is looked for before the lock: a first start takes the lock before it
  // creates the database and releases it only once finished, so a database seen here with no
  // lock after it is one no first start is building.
  const dbExisted = fs.existsSync(dbFile);
  if (!firstStartInterrupted(config.dataDir) && dbExisted) {
    const ready = await finished();
    if (ready) return { handle: ready, firstStart: null };
  }
  const lock = takeStartLock(config.dataDir, config.umask);
  try {
    // Another process may have finished it between the look above and taking the lock.
    const now = await finished();
    if (now) {
      lock.release();
      return { handle: now, firstStart: null };
    }
    if (lock.tookOverFrom || fs.existsSync(dbFile)) {
      logger.warn(
        { dataDir: config.dataDir, interrupted: lock.tookOverFrom },
        'the first start of this data directory did not finish; removing what it left and doing it again',
      );
      removeFirstStartLeftovers(config.dataDir);
    }
    createDbFile(config.dataDir, config.umask);
    return { handle: await openSqlite(dbFile, SERVER_DATABASE), firstStart: lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * PostgreSQL: the processes that start together take turns on an advisory lock; the first
 * does the first start, the others find it recorded. A first start that failed leaves no
 * record and is done again by the next start (each of its steps is idempotent).
 */
async function openPostgresDatabase(
  url: string,
): Promise<{ handle: StoreHandle; firstStart: Pick<StartLock, 'release'> | null }> {
  const handle = await openPostgres(url);
  try {
    if (await createStore(handle.db).firstStart.completed()) return { handle, firstStart: null };
    const lock = await takeFirstStartLock(url);
    if (await createStore(handle.db).firstStart.completed()) {
      lock.release();
      return { handle, firstStart: null };
    }
    return { handle, firstStart: lock };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Regions, root keys, services and the first admin; on a first start also the demo. */
async function prepare(ctx: {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  blobs: BlobDriver;
  firstStart: Pick<StartLock, 'release'> | null;
}): Promise<{ services: Services; oneTime: string | null }> {
  const { config, logger, clock, store, blobs, firstStart } = ctx;
  await store.namespaces.ensureRegions(config.regions, clock());
  const keyring = loadKeyring({
    rootKey: config.rootKey,
    rootKeyFile: config.rootKeyFile,
    keyIdsInUse: [
      ...new Set([...(await store.projects.keyIds()), ...(await store.imageDataKeys.rootKeyIds())]),
    ],
    logger,
  });
  const services = createServices({
    store,
    blobs,
    clock,
    logger,
    regions: config.regions,
    registry: {
      dataDir: config.dataDir,
      createNamespaceOnPush: config.createNamespaceOnPush,
      gcGraceMs: config.gcGraceMs,
      uploadTtlMs: config.uploadTtlMs,
      blobRedirectSeconds: config.blobRedirectSeconds,
      encryptImageData: config.encryptImageData,
    },
    projects: { limit: config.projectLimit, registryHosts: config.registryHosts },
    operations: config.operations,
    scanning: config.scanning,
    backup: {
      schedule: config.backup,
      unavailable: config.databaseUrl ? postgresBackupUnavailable() : null,
      databaseUrl: config.databaseUrl ?? null,
      dataDir: config.dataDir,
      // The backup command reads the same setting from its environment, as the operator's would.
      blobStore: config.blobStore ? (process.env.BERTH_BLOB_STORE ?? null) : null,
    },
    keyring,
    identity: {
      sessionIdleMs: config.sessionIdleMs,
      sessionMaxMs: config.sessionMaxMs,
      throttle: config.loginThrottle,
    },
  });

  const oneTime = await services.identity.bootstrapAdmin(
    config.admin.username,
    config.admin.password,
  );
  // On PostgreSQL a first start that failed half-way leaves its rows (SQLite's are removed
  // with the file): the demo is seeded into an empty registry only.
  const empty =
    (await store.db.selectFrom('namespaces').select('id').limit(1).executeTakeFirst()) ===
    undefined;
  if (firstStart && config.demo && empty) {
    const started = Date.now();
    // Demo blobs are encrypted at rest like pushed ones (issue 18).
    const imageData = createImageData({
      store,
      blobs,
      keyring,
      clock,
      logger,
      encrypt: config.encryptImageData,
      dataDir: config.dataDir,
    });
    const sealing = createManifestSealing({ imageData, keyring, logger });
    const seeded = await seedDemo({
      store,
      blobs,
      now: clock(),
      region: config.regions[0] ?? 'local',
      stored: async (namespace, digest) => {
        const id = await imageData.namespaceId(namespace);
        if (id !== null) await imageData.holds(id, digest);
      },
      // And its manifests sealed, as a push seals them.
      sealManifest: (namespace, digest, bytes) => sealing.forStorage(namespace, digest, bytes),
    });
    logger.info(
      { ...seeded, ms: Date.now() - started },
      'seeded the demo registry (BERTH_DEMO=0 to start empty)',
    );
  }
  return { services, oneTime };
}

/**
 * Printed once, on the terminal only: never through the logger, whose lines are shipped and
 * kept. The admin must replace it at first sign-in. Only once the first start is recorded, so
 * a password that is printed is one that exists.
 */
function announceOneTimePassword(username: string, oneTime: string, logger: Logger): void {
  process.stderr.write(
    `\n  Berth created the admin account "${username}".\n` +
      `  One-time password: ${oneTime}\n` +
      '  Sign in to the console and choose a new password; this one is not shown again.\n\n',
  );
  logger.warn(
    { username },
    'created the first admin with a one-time password (printed on stderr, not logged)',
  );
}

/**
 * The S3 blob driver for BERTH_BLOB_STORE. The AWS SDK is imported here, only when blobs are
 * in S3, so the default start does not spend a quarter of a second loading it.
 */
async function openS3Blobs(location: S3Location) {
  const { createS3Client, createS3Driver } = await import('@berth/store/s3');
  const client = createS3Client(location);
  // Signs presigned URLs for the host clients reach S3 under; it sends no request.
  const publicClient = location.publicEndpoint
    ? createS3Client({ ...location, endpoint: location.publicEndpoint })
    : undefined;
  const driver = createS3Driver({
    client,
    bucket: location.bucket,
    prefix: location.prefix,
    publicClient,
  });
  return {
    driver,
    close: () => {
      client.destroy();
      publicClient?.destroy();
    },
  };
}
