import { Router } from 'express';
import { operation, operationList, operationListQuery } from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { param, send } from './respond.js';

/** Bulk work followed by id: its state, progress and, once it ended, its result. */
export function operationsRoutes(services: Services): Router {
  const { operations } = services;
  const r = Router();
  r.get('/operations', async (req, res) => {
    const query = operationListQuery.parse(req.query);
    send(res, operationList, await operations.list(query, principalOf(req)));
  });
  r.get('/operations/:operation', async (req, res) => {
    send(res, operation, await operations.get(param(req, 'operation'), principalOf(req)));
  });
  return r;
}
