import { Router } from 'express';
import {
  namespaceVulnerabilities,
  registryVulnerabilities,
  registryVulnerabilitiesQuery,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards, namespaceOf } from './guards.js';
import { principalOf } from './request-auth.js';
import { send } from './respond.js';

/**
 * Vulnerability totals: a namespace's for whoever may read it; the registry's over the
 * namespaces the caller may read (every one for an admin).
 */
export function vulnerabilitiesRoutes(services: Services): Router {
  const { vulnerabilityTotals } = services;
  const can = guards(services);
  const r = Router();
  r.get('/vulnerabilities', async (req, res) => {
    const query = registryVulnerabilitiesQuery.parse(req.query);
    send(
      res,
      registryVulnerabilities,
      await vulnerabilityTotals.ofRegistry(query, principalOf(req)),
    );
  });
  r.get('/namespaces/:namespace/vulnerabilities', can.namespace('read'), async (_req, res) => {
    send(res, namespaceVulnerabilities, await vulnerabilityTotals.ofNamespace(namespaceOf(res)));
  });
  return r;
}
