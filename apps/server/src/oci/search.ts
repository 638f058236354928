import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { registrySearchResults } from '@berth/contract';
import type { Services } from '../services/index.js';
import { send } from '../api/respond.js';
import { sendOciError } from './errors.js';
import { query } from './http.js';
import { NEEDS, registryAuth } from './registry-auth.js';

/**
 * `GET /v1/search?q=&n=&page=`: what `docker search <host>/<term>` and `podman search` call.
 * It takes the credentials /v2 takes; a request with none gets the registry's 401 challenge.
 * That is what lets podman search private repositories: it sends no credentials here, and on
 * any refusal falls back to `/v2/_catalog` with them (filtering names itself). Docker sends
 * the credentials of its login (a token it fetched for `registry:catalog:search`, or Basic).
 */
export function searchHandler(services: Services, logger: Logger) {
  const auth = registryAuth(services);
  return async (req: Request, res: Response): Promise<void> => {
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      const caller = await auth.authorize(req, NEEDS.search);
      const results = await services.repositorySearch.search(caller.principal, {
        q: query(req, 'q'),
        n: query(req, 'n'),
        page: query(req, 'page'),
      });
      res.set('Cache-Control', 'no-store');
      send(res, registrySearchResults, results);
    } catch (err) {
      sendOciError(res, err, (req as { log?: Logger }).log ?? logger);
    }
  };
}
