import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../services/index.js';
import { OciError, sendOciError } from './errors.js';
import type { Handler } from './http.js';
import { blobHandlers } from './blobs.js';
import { listingHandlers } from './listings.js';
import { manifestHandlers } from './manifests.js';
import { uploadHandlers } from './uploads.js';

type Route = { pattern: RegExp; methods: Partial<Record<string, Handler>> };

/**
 * Path parameters as the client meant them (some clients encode the ":" of a digest). Every
 * parameter is checked against its grammar afterwards; one that does not decode stays as it
 * is and fails that check.
 */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * /v2: the OCI Distribution API. Repository names contain "/", so routes are matched here by
 * their tails (/manifests/<ref>, /blobs/uploads/<id>, …) rather than by Express path syntax.
 */
export function registryHandler(services: Services, logger: Logger) {
  const manifests = manifestHandlers(services);
  const blobs = blobHandlers(services);
  const uploads = uploadHandlers(services);
  const listings = listingHandlers(services);
  const base: Handler = async (_req, res) => {
    res.status(200).json({});
  };
  const routes: Route[] = [
    { pattern: /^\/$/, methods: { GET: base, HEAD: base } },
    { pattern: /^\/_catalog$/, methods: { GET: listings.catalog } },
    { pattern: /^\/(.+)\/tags\/list$/, methods: { GET: listings.tags } },
    {
      pattern: /^\/(.+)\/manifests\/([^/]+)$/,
      methods: {
        GET: manifests.get,
        HEAD: manifests.get,
        PUT: manifests.put,
        DELETE: manifests.delete,
      },
    },
    { pattern: /^\/(.+)\/blobs\/uploads\/?$/, methods: { POST: uploads.start } },
    {
      pattern: /^\/(.+)\/blobs\/uploads\/([^/]+)$/,
      methods: {
        GET: uploads.status,
        PATCH: uploads.patch,
        PUT: uploads.put,
        DELETE: uploads.cancel,
      },
    },
    {
      pattern: /^\/(.+)\/blobs\/([^/]+)$/,
      methods: { GET: blobs.get, HEAD: blobs.get, DELETE: blobs.delete },
    },
    { pattern: /^\/(.+)\/referrers\/([^/]+)$/, methods: { GET: listings.referrers } },
  ];

  return async (req: Request, res: Response): Promise<void> => {
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      for (const route of routes) {
        const m = route.pattern.exec(req.path);
        if (!m) continue;
        const handler = route.methods[req.method];
        if (!handler) {
          req.resume();
          res.set('Allow', Object.keys(route.methods).join(', '));
          throw new OciError(
            'UNSUPPORTED',
            `${req.method} is not supported on this registry path`,
            405,
          );
        }
        await handler(req, res, m.slice(1).map(decodeParam));
        return;
      }
      req.resume();
      throw new OciError(
        'NAME_UNKNOWN',
        `no registry route ${req.method} /v2${req.path.slice(0, 200)}`,
        404,
      );
    } catch (err) {
      sendOciError(res, err, (req as { log?: Logger }).log ?? logger);
    }
  };
}
