import { Router } from 'express';
import {
  createNamespaceBody,
  namespaceDeleted,
  namespaceDeletionPreview,
  namespaceList,
  namespaceListQuery,
  namespaceSummary,
  regionList,
  updateNamespaceBody,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards, namespaceOf } from './guards.js';
import { principalOf } from './request-auth.js';
import { actorOf, param, send, sendOutcome } from './respond.js';

export function namespacesRoutes(services: Services): Router {
  const { namespaces } = services;
  const can = guards(services);
  const r = Router();
  r.get('/regions', async (req, res) =>
    send(res, regionList, await namespaces.regions(principalOf(req))),
  );
  r.get('/namespaces', async (req, res) => {
    const query = namespaceListQuery.parse(req.query);
    send(res, namespaceList, await namespaces.list(query, principalOf(req)));
  });
  r.post('/namespaces', can.admin(), async (req, res) => {
    send(
      res,
      namespaceSummary,
      await namespaces.create(createNamespaceBody.parse(req.body), actorOf(req)),
      201,
    );
  });
  r.get('/namespaces/:namespace', can.namespace('read'), async (_req, res) => {
    send(res, namespaceSummary, await namespaces.get(namespaceOf(res)));
  });
  r.patch('/namespaces/:namespace', can.namespace('manage'), async (req, res) => {
    const body = updateNamespaceBody.parse(req.body);
    send(res, namespaceSummary, await namespaces.update(namespaceOf(res), body, actorOf(req)));
  });
  r.get('/namespaces/:namespace/deletion-preview', can.namespace('read'), async (req, res) => {
    send(res, namespaceDeletionPreview, await namespaces.deletionPreview(param(req, 'namespace')));
  });
  r.delete('/namespaces/:namespace', can.namespace('manage'), async (req, res) => {
    sendOutcome(
      res,
      namespaceDeleted,
      await namespaces.delete(param(req, 'namespace'), actorOf(req)),
    );
  });
  return r;
}
