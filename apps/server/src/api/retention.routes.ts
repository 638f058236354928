import { Router } from 'express';
import {
  retentionConfirmBody,
  retentionPolicy,
  retentionPolicyBody,
  retentionPreview,
  retentionPreviewBody,
  retentionPreviewItems,
  retentionPreviewItemsQuery,
  retentionPreviewRepositories,
  retentionPreviewRepositoriesQuery,
  retentionRun,
  retentionRunList,
  retentionRunListQuery,
  retentionRunRestored,
  retentionRunResult,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { actorOf, param, send, sendOutcome } from './respond.js';

export function retentionRoutes(services: Services): Router {
  const { retention } = services;
  const r = Router();
  const can = guards(services);
  const NS = '/namespaces/:namespace';
  const PREVIEW = `${NS}/retention/previews/:previewId`;
  const RUN = `${NS}/retention/runs/:runId`;
  r.get(`${NS}/retention-policy`, can.namespace('read'), async (req, res) => {
    send(res, retentionPolicy, await retention.getPolicy(param(req, 'namespace')));
  });
  r.put(`${NS}/retention-policy`, can.namespace('manage'), async (req, res) => {
    const body = retentionPolicyBody.parse(req.body);
    send(
      res,
      retentionPolicy,
      await retention.savePolicy(param(req, 'namespace'), body, actorOf(req)),
    );
  });
  r.post(`${NS}/retention/previews`, can.namespace('manage'), async (req, res) => {
    const body = retentionPreviewBody.parse(req.body ?? {});
    send(
      res,
      retentionPreview,
      await retention.preview(param(req, 'namespace'), body, actorOf(req)),
      201,
    );
  });
  r.get(PREVIEW, can.namespace('read'), async (req, res) => {
    send(
      res,
      retentionPreview,
      await retention.getPreview(param(req, 'namespace'), param(req, 'previewId')),
    );
  });
  r.get(`${PREVIEW}/repositories`, can.namespace('read'), async (req, res) => {
    const query = retentionPreviewRepositoriesQuery.parse(req.query);
    send(
      res,
      retentionPreviewRepositories,
      await retention.previewRepositories(param(req, 'namespace'), param(req, 'previewId'), query),
    );
  });
  r.get(`${PREVIEW}/items`, can.namespace('read'), async (req, res) => {
    const query = retentionPreviewItemsQuery.parse(req.query);
    send(
      res,
      retentionPreviewItems,
      await retention.previewItems(param(req, 'namespace'), param(req, 'previewId'), query),
    );
  });
  r.get(`${PREVIEW}/csv`, can.namespace('read'), async (req, res) => {
    const namespace = param(req, 'namespace');
    const id = param(req, 'previewId');
    const lines = retention.previewCsv(namespace, id);
    // The first chunk (the header) comes after the preview was found: errors stay JSON.
    const first = await lines.next();
    res.status(200);
    res.type('text/csv; charset=utf-8');
    res.attachment(`retention-preview-${namespace}-${id.slice(0, 8)}.csv`);
    if (!first.done) res.write(first.value);
    for await (const chunk of lines) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });
  r.post(`${NS}/retention/runs`, can.namespace('manage'), async (req, res) => {
    const body = retentionConfirmBody.parse(req.body);
    sendOutcome(
      res,
      retentionRunResult,
      await retention.confirm(param(req, 'namespace'), body.previewId, actorOf(req)),
      201,
    );
  });
  r.get(`${NS}/retention/runs`, can.namespace('read'), async (req, res) => {
    send(
      res,
      retentionRunList,
      await retention.listRuns(param(req, 'namespace'), retentionRunListQuery.parse(req.query)),
    );
  });
  r.get(RUN, can.namespace('read'), async (req, res) => {
    send(res, retentionRun, await retention.getRun(param(req, 'namespace'), param(req, 'runId')));
  });
  r.post(`${RUN}/restore`, can.namespace('write'), async (req, res) => {
    sendOutcome(
      res,
      retentionRunRestored,
      await retention.restoreRun(param(req, 'namespace'), param(req, 'runId'), actorOf(req)),
    );
  });
  return r;
}
