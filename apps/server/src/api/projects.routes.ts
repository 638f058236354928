import { Router } from 'express';
import type { z } from 'zod';
import {
  type ProjectChildKind,
  app,
  appBody,
  appList,
  appUpdateBody,
  configMap,
  configMapBody,
  configMapList,
  configMapUpdateBody,
  createProjectBody,
  job,
  jobBody,
  jobList,
  jobUpdateBody,
  projectDeleted,
  projectDeleteQuery,
  projectDeletionPreview,
  projectList,
  projectListQuery,
  projectSummary,
  secret,
  secretBody,
  secretList,
  secretUpdateBody,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import type { ChildService } from '../services/projects/child-service.js';
import { actorOf, param, send } from './respond.js';

const PROJECT = '/projects/:projectId';

interface ChildSchemas<Create extends z.ZodType, Update extends z.ZodType> {
  item: z.ZodType;
  list: z.ZodType;
  create: Create;
  update: Update;
}

/** The same five routes for apps, jobs, secrets and config maps (see the contract's table). */
function mountChild<Create extends z.ZodType, Update extends z.ZodType>(
  r: Router,
  segment: ProjectChildKind,
  service: ChildService<unknown, z.output<Create>, z.output<Update>>,
  schemas: ChildSchemas<Create, Update>,
): void {
  const all = `${PROJECT}/${segment}`;
  const one = `${all}/:name`;
  r.get(all, async (req, res) => {
    send(res, schemas.list, await service.list(param(req, 'projectId')));
  });
  r.post(all, async (req, res) => {
    const body = schemas.create.parse(req.body);
    send(res, schemas.item, await service.create(param(req, 'projectId'), body, actorOf(req)), 201);
  });
  r.get(one, async (req, res) => {
    send(res, schemas.item, await service.get(param(req, 'projectId'), param(req, 'name')));
  });
  r.put(one, async (req, res) => {
    const body = schemas.update.parse(req.body);
    send(
      res,
      schemas.item,
      await service.replace(param(req, 'projectId'), param(req, 'name'), body, actorOf(req)),
    );
  });
  r.delete(one, async (req, res) => {
    await service.remove(param(req, 'projectId'), param(req, 'name'), actorOf(req));
    res.status(204).end();
  });
}

export function projectsRoutes({ projects }: Services): Router {
  const r = Router();
  r.get('/projects', async (req, res) => {
    send(res, projectList, await projects.list(projectListQuery.parse(req.query)));
  });
  r.post('/projects', async (req, res) => {
    const body = createProjectBody.parse(req.body);
    send(res, projectSummary, await projects.create(body, actorOf(req)), 201);
  });
  r.get(PROJECT, async (req, res) => {
    send(res, projectSummary, await projects.get(param(req, 'projectId')));
  });
  r.get(`${PROJECT}/deletion-preview`, async (req, res) => {
    send(res, projectDeletionPreview, await projects.deletionPreview(param(req, 'projectId')));
  });
  r.delete(PROJECT, async (req, res) => {
    const query = projectDeleteQuery.parse(req.query);
    send(res, projectDeleted, await projects.delete(param(req, 'projectId'), query, actorOf(req)));
  });
  r.post(`${PROJECT}/restore`, async (req, res) => {
    send(res, projectSummary, await projects.restore(param(req, 'projectId'), actorOf(req)));
  });
  mountChild(r, 'apps', projects.apps, {
    item: app,
    list: appList,
    create: appBody,
    update: appUpdateBody,
  });
  mountChild(r, 'jobs', projects.jobs, {
    item: job,
    list: jobList,
    create: jobBody,
    update: jobUpdateBody,
  });
  mountChild(r, 'secrets', projects.secrets, {
    item: secret,
    list: secretList,
    create: secretBody,
    update: secretUpdateBody,
  });
  mountChild(r, 'config-maps', projects.configMaps, {
    item: configMap,
    list: configMapList,
    create: configMapBody,
    update: configMapUpdateBody,
  });
  return r;
}
