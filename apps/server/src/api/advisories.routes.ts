import { Router } from 'express';
import { advisoryDataStatus } from '@berth/contract';
import type { Services } from '../services/index.js';
import { send } from './respond.js';

/** Every signed-in user may see how old the advisory data is: it is about the data, not images. */
export function advisoriesRoutes(services: Services): Router {
  const r = Router();
  r.get('/advisories', async (_req, res) => {
    send(res, advisoryDataStatus, await services.advisories.status());
  });
  return r;
}
