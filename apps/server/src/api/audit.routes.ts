import { Router } from 'express';
import { auditFilter, auditList, auditListQuery } from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { send } from './respond.js';

/** The audit log for deployment admins: a page at a time, or as CSV. */
export function auditRoutes(services: Services): Router {
  const { audit } = services;
  const can = guards(services);
  const r = Router();
  r.get('/audit', can.admin('read'), async (req, res) => {
    const { cursor, limit, ...filter } = auditListQuery.parse(req.query);
    send(res, auditList, await audit.list(filter, { cursor, limit }));
  });
  r.get('/audit/csv', can.admin('read'), async (req, res) => {
    const filter = auditFilter.parse(req.query);
    res.type('text/csv; charset=utf-8');
    res.attachment('berth-audit.csv');
    for await (const line of audit.csvLines(filter)) {
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });
  return r;
}
