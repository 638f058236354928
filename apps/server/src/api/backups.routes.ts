import { Router } from 'express';
import { backupStatus } from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { send } from './respond.js';

/** Administrators only: the target path and failures say things about the machine. */
export function backupsRoutes(services: Services): Router {
  const r = Router();
  const can = guards(services);
  r.get('/backups', can.admin(), async (_req, res) => {
    send(res, backupStatus, await services.backups.status());
  });
  return r;
}
