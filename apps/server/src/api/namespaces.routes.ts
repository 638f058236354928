import { Router } from 'express';
import {
  createNamespaceBody,
  namespaceDeleted,
  namespaceDeletionPreview,
  namespaceList,
  namespaceListQuery,
  namespaceSummary,
  regionList,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { actorOf, param, send } from './respond.js';

export function namespacesRoutes({ namespaces }: Services): Router {
  const r = Router();
  r.get('/regions', async (_req, res) => send(res, regionList, await namespaces.regions()));
  r.get('/namespaces', async (req, res) => {
    send(res, namespaceList, await namespaces.list(namespaceListQuery.parse(req.query)));
  });
  r.post('/namespaces', async (req, res) => {
    send(
      res,
      namespaceSummary,
      await namespaces.create(createNamespaceBody.parse(req.body), actorOf(req)),
      201,
    );
  });
  r.get('/namespaces/:namespace', async (req, res) => {
    send(res, namespaceSummary, await namespaces.get(param(req, 'namespace')));
  });
  r.get('/namespaces/:namespace/deletion-preview', async (req, res) => {
    send(res, namespaceDeletionPreview, await namespaces.deletionPreview(param(req, 'namespace')));
  });
  r.delete('/namespaces/:namespace', async (req, res) => {
    send(res, namespaceDeleted, await namespaces.delete(param(req, 'namespace'), actorOf(req)));
  });
  return r;
}
