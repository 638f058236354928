import { Router } from 'express';
import { auditFilter, auditList, auditListQuery } from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { send } from './respond.js';

/** RFC 4180 quoting; a leading = + - @ is defused so spreadsheets do not run it as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The audit log for deployment admins: a page at a time, or as CSV. */
export function auditRoutes({ access, audit }: Services): Router {
  const r = Router();
  r.get('/audit', async (req, res) => {
    access.requireAdmin(principalOf(req), 'read');
    const { cursor, limit, ...filter } = auditListQuery.parse(req.query);
    send(res, auditList, await audit.list(filter, { cursor, limit }));
  });
  r.get('/audit/csv', async (req, res) => {
    access.requireAdmin(principalOf(req), 'read');
    const filter = auditFilter.parse(req.query);
    res.type('text/csv; charset=utf-8');
    res.attachment('berth-audit.csv');
    res.write('time,actor,action,target,outcome,request_id,details\r\n');
    for await (const e of audit.all(filter)) {
      const cells = [
        e.at,
        e.actor,
        e.action,
        e.target,
        e.outcome,
        e.requestId ?? '',
        e.details ? JSON.stringify(e.details) : '',
      ];
      if (!res.write(`${cells.map(csvCell).join(',')}\r\n`)) {
        await new Promise((resolve) => res.once('drain', resolve));
      }
    }
    res.end();
  });
  return r;
}
