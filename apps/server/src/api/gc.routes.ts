import { Router } from 'express';
import { gcReport, gcRunBody } from '@berth/contract';
import type { Services } from '../services/index.js';
import { send } from './respond.js';

export function gcRoutes({ gc }: Services): Router {
  const r = Router();
  r.post('/gc/runs', async (req, res) => {
    send(res, gcReport, await gc.run(gcRunBody.parse(req.body ?? {})));
  });
  return r;
}
