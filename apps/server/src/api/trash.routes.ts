import { Router } from 'express';
import { restoreBody, restoreResult, trashList, trashListQuery } from '@berth/contract';
import type { Services } from '../services/index.js';
import { actorOf, param, send } from './respond.js';

export function trashRoutes({ trash }: Services): Router {
  const r = Router();
  r.get('/namespaces/:namespace/trash', async (req, res) => {
    send(
      res,
      trashList,
      await trash.list(param(req, 'namespace'), trashListQuery.parse(req.query)),
    );
  });
  r.post('/namespaces/:namespace/trash/restore', async (req, res) => {
    send(
      res,
      restoreResult,
      await trash.restore(param(req, 'namespace'), restoreBody.parse(req.body), actorOf(req)),
    );
  });
  return r;
}
