import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import https from 'node:https';
import { pino, type Logger } from 'pino';
import {
  type BlobDriver,
  type Store,
  createFilesystemDriver,
  createStore,
  openSqlite,
} from '@berth/store';
import type { Config } from './config.js';
import { createApp } from './app.js';
import { createServices, type Clock, type Services } from './services/index.js';
import { seedDemo } from './seed/demo-seed.js';
import { loadKeyring } from './services/projects/keyring.js';

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
  fs.mkdirSync(config.dataDir, { recursive: true });
  const dbFile = path.join(config.dataDir, 'berth.db');
  const firstStart = !fs.existsSync(dbFile);
  const handle = await openSqlite(dbFile);
  const store = createStore(handle.db, { file: dbFile });
  const blobs = createFilesystemDriver(config.dataDir);
  await store.namespaces.ensureRegions(config.regions, clock());
  let keyring;
  try {
    keyring = loadKeyring({
      rootKey: config.rootKey,
      rootKeyFile: config.rootKeyFile,
      keyIdsInUse: await store.projects.keyIds(),
      logger,
    });
  } catch (err) {
    await handle.close();
    throw err;
  }
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
    },
    projects: { limit: config.projectLimit, registryHosts: config.registryHosts },
    keyring,
    identity: {
      sessionIdleMs: config.sessionIdleMs,
      sessionMaxMs: config.sessionMaxMs,
      throttle: config.loginThrottle,
    },
  });

  let oneTime: string | null;
  try {
    oneTime = await services.identity.bootstrapAdmin(config.admin.username, config.admin.password);
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (oneTime) {
    // Printed once, on the terminal only: never through the logger, whose lines are shipped
    // and kept. The admin must replace it at first sign-in.
    process.stderr.write(
      `\n  Berth created the admin account "${config.admin.username}".\n` +
        `  One-time password: ${oneTime}\n` +
        '  Sign in to the console and choose a new password; this one is not shown again.\n\n',
    );
    logger.warn(
      { username: config.admin.username },
      'created the first admin with a one-time password (printed on stderr, not logged)',
    );
  }

  if (firstStart && config.demo) {
    const started = Date.now();
    const seeded = await seedDemo({
      store,
      blobs,
      now: clock(),
      region: config.regions[0] ?? 'local',
    });
    logger.info(
      { ...seeded, ms: Date.now() - started },
      'seeded the demo registry (BERTH_DEMO=0 to start empty)',
    );
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
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
  const timer = setInterval(sweep, config.trashSweepIntervalMs);
  timer.unref();
  const gc = () =>
    services.gc
      .run({ dryRun: false })
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
  };
  const scheduleTimer = setInterval(schedule, config.schedulerIntervalMs);
  scheduleTimer.unref();

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
        // A tick in progress finishes (or rolls back) before the database closes.
        await services.retentionScheduler.settled();
        await services.projectSweeper.settled();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await handle.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
