import { Router } from 'express';
import {
  deleteImagesBody,
  deleteRepositoriesBody,
  imageDetails,
  imageList,
  imageListQuery,
  imagesTrashed,
  repositoriesTrashed,
  repositoryList,
  repositoryListQuery,
  untagged,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { guards } from './guards.js';
import { actorOf, param, send, sendOutcome } from './respond.js';

// Repository names contain "/", so clients percent-encode them into one path segment;
// Express decodes each parameter once, and the name checks refuse what decodes to "..".
export function imagesRoutes(services: Services): Router {
  const { images, imageDetails: details } = services;
  const r = Router();
  const can = guards(services);
  const NS = '/namespaces/:namespace';
  const REPO = `${NS}/repositories/:repository`;
  r.get(`${NS}/repositories`, can.namespace('read'), async (req, res) => {
    send(
      res,
      repositoryList,
      await images.listRepositories(param(req, 'namespace'), repositoryListQuery.parse(req.query)),
    );
  });
  r.post(`${NS}/repositories/delete`, can.namespace('write'), async (req, res) => {
    const body = deleteRepositoriesBody.parse(req.body);
    sendOutcome(
      res,
      repositoriesTrashed,
      await images.deleteRepositories(param(req, 'namespace'), body.repositories, actorOf(req)),
    );
  });
  r.delete(REPO, can.namespace('write'), async (req, res) => {
    sendOutcome(
      res,
      repositoriesTrashed,
      await images.deleteRepositories(
        param(req, 'namespace'),
        [param(req, 'repository')],
        actorOf(req),
      ),
    );
  });
  r.get(`${REPO}/images`, can.namespace('read'), async (req, res) => {
    const query = imageListQuery.parse(req.query);
    send(
      res,
      imageList,
      await images.listImages(param(req, 'namespace'), param(req, 'repository'), query),
    );
  });
  r.get(`${REPO}/images/:digest`, can.namespace('read'), async (req, res) => {
    send(
      res,
      imageDetails,
      await details.details(
        param(req, 'namespace'),
        param(req, 'repository'),
        param(req, 'digest'),
      ),
    );
  });
  // The bytes exactly as pushed (their digest is the image's), for viewing and copying.
  r.get(`${REPO}/images/:digest/manifest`, can.namespace('read'), async (req, res) => {
    const manifest = await details.manifest(
      param(req, 'namespace'),
      param(req, 'repository'),
      param(req, 'digest'),
    );
    res
      .status(200)
      .type(manifest.mediaType)
      .set('Docker-Content-Digest', param(req, 'digest'))
      .send(Buffer.from(manifest.content));
  });
  r.delete(`${REPO}/images/:digest`, can.namespace('write'), async (req, res) => {
    const body = {
      images: [{ repository: param(req, 'repository'), digest: param(req, 'digest') }],
    };
    send(
      res,
      imagesTrashed,
      await images.deleteImages(param(req, 'namespace'), body, actorOf(req)),
    );
  });
  r.post(`${NS}/images/delete`, can.namespace('write'), async (req, res) => {
    send(
      res,
      imagesTrashed,
      await images.deleteImages(
        param(req, 'namespace'),
        deleteImagesBody.parse(req.body),
        actorOf(req),
      ),
    );
  });
  r.delete(`${REPO}/tags/:tag`, can.namespace('write'), async (req, res) => {
    send(
      res,
      untagged,
      await images.untag(
        param(req, 'namespace'),
        param(req, 'repository'),
        param(req, 'tag'),
        actorOf(req),
      ),
    );
  });
  return r;
}
