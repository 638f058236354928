import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../services/index.js';
import { OciError, sendOciError } from './errors.js';
import type { Handler } from './http.js';
import { blobHandlers } from './blobs.js';
import { listingHandlers } from './listings.js';
import { manifestHandlers } from './manifests.js';
import { uploadHandlers } from './uploads.js';
import { NEEDS, type RegistryNeed, registryAuth } from './registry-auth.js';

/** A handler and what the caller must be allowed to do for it (see registry-auth.ts). */
type Endpoint = { need: RegistryNeed; handler: Handler };
export type Route = { pattern: RegExp; methods: Partial<Record<string, Endpoint>> };

const signedIn = (handler: Handler): Endpoint => ({ need: NEEDS.signedIn, handler });
const catalog = (handler: Handler): Endpoint => ({ need: NEEDS.catalog, handler });
const pull = (handler: Handler): Endpoint => ({ need: NEEDS.pull, handler });
const push = (handler: Handler): Endpoint => ({ need: NEEDS.push, handler });
const del = (handler: Handler): Endpoint => ({ need: NEEDS.delete, handler });

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
 * This is the table: what each path and method needs, and who answers it.
 */
export function registryRoutes(services: Services): Route[] {
  const manifests = manifestHandlers(services);
  const blobs = blobHandlers(services);
  const uploads = uploadHandlers(services);
  const listings = listingHandlers(services);
  const base: Handler = async (_req, res) => {
    res.status(200).json({});
  };
  // Uploads, their status and their cancel all need push: only a pusher has a session.
  return [
    { pattern: /^\/$/, methods: { GET: signedIn(base), HEAD: signedIn(base) } },
    { pattern: /^\/_catalog$/, methods: { GET: catalog(listings.catalog) } },
    { pattern: /^\/(.+)\/tags\/list$/, methods: { GET: pull(listings.tags) } },
    {
      pattern: /^\/(.+)\/manifests\/([^/]+)$/,
      methods: {
        GET: pull(manifests.get),
        HEAD: pull(manifests.get),
        PUT: push(manifests.put),
        DELETE: del(manifests.delete),
      },
    },
    {
      pattern: /^\/(.+)\/blobs\/uploads\/?$/,
      methods: { POST: { need: NEEDS.pushOrMount, handler: uploads.start } },
    },
    {
      pattern: /^\/(.+)\/blobs\/uploads\/([^/]+)$/,
      methods: {
        GET: push(uploads.status),
        PATCH: push(uploads.patch),
        PUT: push(uploads.put),
        DELETE: push(uploads.cancel),
      },
    },
    {
      pattern: /^\/(.+)\/blobs\/([^/]+)$/,
      methods: { GET: pull(blobs.get), HEAD: pull(blobs.get), DELETE: del(blobs.delete) },
    },
    { pattern: /^\/(.+)\/referrers\/([^/]+)$/, methods: { GET: pull(listings.referrers) } },
  ];
}

export function registryHandler(services: Services, logger: Logger) {
  const routes = registryRoutes(services);
  const auth = registryAuth(services);
  return async (req: Request, res: Response): Promise<void> => {
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    // Background scans stand aside until this push's answer is sent (or its client is gone).
    if (req.method === 'PUT' || req.method === 'PATCH' || req.method === 'POST') {
      res.once('close', services.pushActivity.begin());
    }
    try {
      for (const route of routes) {
        const m = route.pattern.exec(req.path);
        if (!m) continue;
        const endpoint = route.methods[req.method];
        if (!endpoint) {
          req.resume();
          res.set('Allow', Object.keys(route.methods).join(', '));
          throw new OciError(
            'UNSUPPORTED',
            `${req.method} is not supported on this registry path`,
            405,
          );
        }
        const params = m.slice(1).map(decodeParam);
        try {
          await auth.authorize(req, endpoint.need, params[0]);
        } catch (err) {
          // Refused before the body was read: drain it so the answer reaches the client.
          req.resume();
          throw err;
        }
        await endpoint.handler(req, res, params);
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
