import { type Request, Router } from 'express';
import { findingList, findingsQuery, imageScan, scanRequested } from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { actorOf, param, send } from './respond.js';

/** Vulnerability scans of an image: whoever may read the namespace sees them; writers rescan. */
export function scansRoutes(services: Services): Router {
  const { scans } = services;
  const r = Router();
  const can = guards(services);
  const IMAGE = '/namespaces/:namespace/repositories/:repository/images/:digest';
  const names = (req: Request) =>
    [param(req, 'namespace'), param(req, 'repository'), param(req, 'digest')] as const;
  r.get(`${IMAGE}/scan`, can.namespace('read'), async (req, res) => {
    send(res, imageScan, await scans.image(...names(req)));
  });
  r.post(`${IMAGE}/scan`, can.namespace('write'), async (req, res) => {
    send(res, scanRequested, await scans.request(...names(req), actorOf(req)), 202);
  });
  r.get(`${IMAGE}/scan/findings`, can.namespace('read'), async (req, res) => {
    const query = findingsQuery.parse(req.query);
    send(res, findingList, await scans.findings(...names(req), query));
  });
  return r;
}
