import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { REGISTRY_SEARCH_PATH, REGISTRY_TOKEN_PATH, health, isConsolePath } from '@berth/contract';
import type { Services } from './services/index.js';
import { errorMiddleware } from './api/error-middleware.js';
import { imagesRoutes } from './api/images.routes.js';
import { namespacesRoutes } from './api/namespaces.routes.js';
import { trashRoutes } from './api/trash.routes.js';
import { advisoriesRoutes } from './api/advisories.routes.js';
import { backupsRoutes } from './api/backups.routes.js';
import { scansRoutes } from './api/scans.routes.js';
import { vulnerabilitiesRoutes } from './api/vulnerabilities.routes.js';
import { gcRoutes } from './api/gc.routes.js';
import { retentionRoutes } from './api/retention.routes.js';
import { projectsRoutes } from './api/projects.routes.js';
import { registryHandler } from './oci/registry-router.js';
import { tokenEndpoint } from './oci/token-endpoint.js';
import { searchHandler } from './oci/search.js';
import { buildOpenApiDocument } from './api/openapi.js';
import { send } from './api/respond.js';
import { VERSION } from './version.js';
import { randomUUID } from 'node:crypto';
import { withRequestId } from '@berth/store';
import { authenticate, requireSignedIn } from './api/authentication.js';
import { sessionRoutes } from './api/session.routes.js';
import { usersRoutes } from './api/users.routes.js';
import { membersRoutes } from './api/members.routes.js';
import { auditRoutes } from './api/audit.routes.js';
import { operationsRoutes } from './api/operations.routes.js';
import { searchRoutes } from './api/search.routes.js';
import { exportRoutes } from './api/export.routes.js';
import { securityHeaders } from './api/security-headers.js';
import { consoleAssets } from './console-assets.js';

function routeUnknown(req: Request, res: Response): void {
  req.resume();
  res.status(404).json({
    error: {
      code: 'ROUTE_UNKNOWN',
      message: `no route ${req.method} ${`${req.baseUrl}${req.path}`.slice(0, 200)}`,
    },
  });
}

export interface AppOptions {
  services: Services;
  logger: Logger;
  /** Built console; when absent the API still works and / explains how to build it. */
  consoleDir?: string;
  /** Served over HTTPS: Secure cookies and HSTS. */
  tls?: boolean;
  /** Express "trust proxy" value for client addresses behind a proxy. */
  trustProxy?: string | null;
  /** Lifetime of registry tokens. */
  tokenTtlSeconds?: number;
}

export function createApp({
  services,
  logger,
  consoleDir,
  tls = false,
  trustProxy = null,
  tokenTtlSeconds = 300,
}: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (trustProxy) app.set('trust proxy', trustProxy);
  app.use(securityHeaders(tls));
  app.use((req, res, next) => {
    const id = randomUUID();
    (req as { id?: string }).id = id;
    res.set('X-Request-Id', id);
    next();
  });
  // Request logs are info lines; below that level pino-http would only cost time per request
  // (a tenth of a manifest HEAD), since errors are logged where they are handled.
  if (logger.isLevelEnabled('info')) {
    app.use(
      pinoHttp({
        logger,
        // Health checks every few seconds would drown the log.
        genReqId: (req) => (req as { id?: string }).id ?? randomUUID(),
        autoLogging: { ignore: (req) => req.url === '/api/v1/health' },
        redact: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-csrf-token"]',
          'res.headers["set-cookie"]',
        ],
      }),
    );
  }

  const api = express.Router();
  api.use(express.json({ limit: '256kb', strict: true }));
  // After the body parser: its stream callbacks would run outside this request's context.
  api.use((req, _res, next) => withRequestId((req as { id?: string }).id ?? '', next));
  api.get('/health', (_req, res) => send(res, health, { status: 'ok', version: VERSION }));
  api.use(authenticate(services, tls));
  api.use(sessionRoutes(services, tls));
  api.use(requireSignedIn);
  const openapi = buildOpenApiDocument(VERSION);
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  api.use(namespacesRoutes(services));
  api.use(imagesRoutes(services));
  api.use(trashRoutes(services));
  api.use(gcRoutes(services));
  api.use(advisoriesRoutes(services));
  api.use(backupsRoutes(services));
  api.use(scansRoutes(services));
  api.use(vulnerabilitiesRoutes(services));
  api.use(retentionRoutes(services));
  api.use(projectsRoutes(services));
  api.use(membersRoutes(services));
  api.use(usersRoutes(services));
  api.use(auditRoutes(services));
  api.use(operationsRoutes(services));
  api.use(searchRoutes(services));
  api.use(exportRoutes(services));
  app.use('/api/v1', api);
  // Anything under /api that no router took, in /api/v1 or beside it.
  app.use('/api', routeUnknown);

  app.use('/v2', registryHandler(services, logger));
  app.get(REGISTRY_SEARCH_PATH, searchHandler(services, logger));
  app.use(REGISTRY_TOKEN_PATH, tokenEndpoint(services, { ttlSeconds: tokenTtlSeconds }));

  const index = consoleDir ? path.join(consoleDir, 'index.html') : null;
  if (consoleDir && index && fs.existsSync(index)) {
    app.use(consoleAssets(consoleDir));
    app.get('/{*splat}', (req, res, next) => {
      if (!isConsolePath(req.path)) return next();
      res.set('Cache-Control', 'no-cache').sendFile(index);
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send('Berth API is running. Build the console with `./berth build` to use it here.');
    });
  }
  // Everything else: a JSON 404 rather than the console's page with 200, so a client that
  // probes a path (`/v1/...`, `/foo.json`) reads an error.
  app.use(routeUnknown);

  app.use(errorMiddleware(logger));
  return app;
}
