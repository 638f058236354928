import { Router } from 'express';
import { gcReport, gcRunBody } from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { send } from './respond.js';

export function gcRoutes(services: Services): Router {
  const { gc } = services;
  const r = Router();
  const can = guards(services);
  r.post('/gc/runs', can.admin(), async (req, res) => {
    send(res, gcReport, await gc.run(gcRunBody.parse(req.body ?? {})));
  });
  return r;
}
