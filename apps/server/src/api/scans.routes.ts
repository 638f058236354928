import { type Request, Router } from 'express';
import {
  findingList,
  findingsQuery,
  imageScan,
  sbomAttached,
  scanExportQuery,
  scanRequested,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { actorOf, param, send } from './respond.js';

/** Vulnerability scans of an image: whoever may read the namespace sees them; writers rescan. */
export function scansRoutes(services: Services): Router {
  const { scans, sboms } = services;
  const r = Router();
  const can = guards(services);
  const IMAGE = '/namespaces/:namespace/repositories/:repository/images/:digest';
  const names = (req: Request) =>
    [param(req, 'namespace'), param(req, 'repository'), param(req, 'digest')] as const;
  r.get(`${IMAGE}/scan`, can.namespace('read'), async (req, res) => {
    send(res, imageScan, await scans.image(...names(req)));
  });
  r.post(`${IMAGE}/scan`, can.namespace('write'), async (req, res) => {
    send(res, scanRequested, await scans.request(...names(req), actorOf(req)), 202);
  });
  r.get(`${IMAGE}/scan/findings`, can.namespace('read'), async (req, res) => {
    const query = findingsQuery.parse(req.query);
    send(res, findingList, await scans.findings(...names(req), query));
  });
  r.get(`${IMAGE}/scan/sbom`, can.namespace('read'), async (req, res) => {
    const { platform } = scanExportQuery.parse(req.query);
    const body = await scans.sbom(...names(req), platform);
    // After attachment(), which would set the type from the file name's .json.
    res.attachment(`sbom-${param(req, 'digest').replace(':', '-')}.cdx.json`);
    res.type('application/vnd.cyclonedx+json; charset=utf-8');
    res.send(body);
  });
  r.post(`${IMAGE}/scan/sbom/attach`, can.namespace('write'), async (req, res) => {
    send(res, sbomAttached, await sboms.attach(...names(req), actorOf(req)));
  });
  r.get(`${IMAGE}/scan/findings.csv`, can.namespace('read'), async (req, res) => {
    const { platform } = scanExportQuery.parse(req.query);
    const lines = scans.findingsCsv(...names(req), platform);
    // The first line is read before anything is sent, so a missing result is still a 404.
    const first = await lines.next();
    res.attachment(`findings-${param(req, 'digest').replace(':', '-')}.csv`);
    res.type('text/csv; charset=utf-8');
    if (!first.done) res.write(first.value);
    for await (const line of lines) res.write(line);
    res.end();
  });
  return r;
}
