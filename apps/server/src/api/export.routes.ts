import { Router } from 'express';
import { repositoryExportPreview } from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { param, send } from './respond.js';

/** Downloading a repository as an OCI image layout (docs/export-import.md); readers may. */
export function exportRoutes(services: Services): Router {
  const { ociExport } = services;
  const r = Router();
  const can = guards(services);
  const REPO = '/namespaces/:namespace/repositories/:repository';
  r.get(`${REPO}/export/preview`, can.namespace('read'), async (req, res) => {
    send(
      res,
      repositoryExportPreview,
      await ociExport.preview(param(req, 'namespace'), param(req, 'repository')),
    );
  });
  r.get(`${REPO}/export`, can.namespace('read'), async (req, res) => {
    const namespace = param(req, 'namespace');
    const repository = param(req, 'repository');
    // Planned before the first byte: an unknown repository is still a 404 with a body.
    const plan = await ociExport.plan(namespace, repository);
    res.attachment(`${namespace}-${repository.replaceAll('/', '-')}.oci.tar`);
    res.type('application/x-tar');
    res.setHeader('Content-Length', String(plan.tarBytes));
    res.setHeader('Cache-Control', 'no-store');
    // A HEAD learns the size without Berth reading every blob for nothing.
    if (req.method === 'HEAD') {
      res.status(200).end();
      return;
    }
    try {
      await ociExport.write(plan, res);
    } catch (error) {
      // Headers are sent: only a cut connection tells the client the archive is incomplete.
      res.destroy(error as Error);
    }
  });
  return r;
}
