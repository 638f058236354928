import { Router } from 'express';
import {
  restoreBody,
  restoreManyBody,
  restoreManyResult,
  restoreRepositoryBody,
  restoreResult,
  trashList,
  trashListQuery,
  trashRepositories,
  trashRepositoriesQuery,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { actorOf, param, send, sendOutcome } from './respond.js';

export function trashRoutes(services: Services): Router {
  const { trash } = services;
  const r = Router();
  const can = guards(services);
  r.get('/namespaces/:namespace/trash', can.namespace('read'), async (req, res) => {
    send(
      res,
      trashList,
      await trash.list(param(req, 'namespace'), trashListQuery.parse(req.query)),
    );
  });
  r.get('/namespaces/:namespace/trash/repositories', can.namespace('read'), async (req, res) => {
    send(
      res,
      trashRepositories,
      await trash.repositories(param(req, 'namespace'), trashRepositoriesQuery.parse(req.query)),
    );
  });
  r.post('/namespaces/:namespace/trash/restore', can.namespace('write'), async (req, res) => {
    send(
      res,
      restoreResult,
      await trash.restore(param(req, 'namespace'), restoreBody.parse(req.body), actorOf(req)),
    );
  });
  r.post(
    '/namespaces/:namespace/trash/restore-repository',
    can.namespace('write'),
    async (req, res) => {
      const body = restoreRepositoryBody.parse(req.body);
      sendOutcome(
        res,
        restoreManyResult,
        await trash.restoreRepository(param(req, 'namespace'), body.repository, actorOf(req)),
      );
    },
  );
  r.post('/namespaces/:namespace/trash/restore-many', can.namespace('write'), async (req, res) => {
    send(
      res,
      restoreManyResult,
      await trash.restoreMany(
        param(req, 'namespace'),
        restoreManyBody.parse(req.body),
        actorOf(req),
      ),
    );
  });
  return r;
}
