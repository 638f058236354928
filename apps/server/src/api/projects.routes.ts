import { type Response, Router } from 'express';
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
import type { ProjectRole } from '@berth/domain';
import { guards } from './guards.js';
import { principalOf } from './request-auth.js';
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
  can: ReturnType<typeof guards>,
): void {
  const all = `${PROJECT}/${segment}`;
  const one = `${all}/:name`;
  r.get(all, can.project('read'), async (req, res) => {
    send(res, schemas.list, await service.list(param(req, 'projectId')));
  });
  r.post(all, can.project('edit'), async (req, res) => {
    const body = schemas.create.parse(req.body);
    send(res, schemas.item, await service.create(param(req, 'projectId'), body, actorOf(req)), 201);
  });
  r.get(one, can.project('read'), async (req, res) => {
    send(res, schemas.item, await service.get(param(req, 'projectId'), param(req, 'name')));
  });
  r.put(one, can.project('edit'), async (req, res) => {
    const body = schemas.update.parse(req.body);
    send(
      res,
      schemas.item,
      await service.replace(param(req, 'projectId'), param(req, 'name'), body, actorOf(req)),
    );
  });
  r.delete(one, can.project('edit'), async (req, res) => {
    await service.remove(param(req, 'projectId'), param(req, 'name'), actorOf(req));
    res.status(204).end();
  });
}

export function projectsRoutes(services: Services): Router {
  const { projects, access } = services;
  const can = guards(services);
  const r = Router();
  const role = (res: Response) => res.locals.projectRole as ProjectRole;
  r.get('/projects', async (req, res) => {
    const list = await projects.list(projectListQuery.parse(req.query));
    const roleOf = await access.projectRoles(principalOf(req));
    const items = list.items.flatMap((p) => {
      const r = roleOf(p.id);
      return r ? [{ ...p, role: r }] : [];
    });
    send(res, projectList, { ...list, items });
  });
  r.post('/projects', can.admin(), async (req, res) => {
    const body = createProjectBody.parse(req.body);
    const created = await projects.create(body, actorOf(req));
    send(res, projectSummary, { ...created, role: 'manager' }, 201);
  });
  r.get(PROJECT, can.project('read'), async (req, res) => {
    const found = await projects.get(param(req, 'projectId'));
    send(res, projectSummary, { ...found, role: role(res) });
  });
  r.get(`${PROJECT}/deletion-preview`, can.project('read'), async (req, res) => {
    send(res, projectDeletionPreview, await projects.deletionPreview(param(req, 'projectId')));
  });
  r.delete(PROJECT, can.project('manage'), async (req, res) => {
    const query = projectDeleteQuery.parse(req.query);
    send(res, projectDeleted, await projects.delete(param(req, 'projectId'), query, actorOf(req)));
  });
  r.post(`${PROJECT}/restore`, can.project('manage'), async (req, res) => {
    const restored = await projects.restore(param(req, 'projectId'), actorOf(req));
    send(res, projectSummary, { ...restored, role: role(res) });
  });
  mountChild(
    r,
    'apps',
    projects.apps,
    {
      item: app,
      list: appList,
      create: appBody,
      update: appUpdateBody,
    },
    can,
  );
  mountChild(
    r,
    'jobs',
    projects.jobs,
    {
      item: job,
      list: jobList,
      create: jobBody,
      update: jobUpdateBody,
    },
    can,
  );
  mountChild(
    r,
    'secrets',
    projects.secrets,
    {
      item: secret,
      list: secretList,
      create: secretBody,
      update: secretUpdateBody,
    },
    can,
  );
  mountChild(
    r,
    'config-maps',
    projects.configMaps,
    {
      item: configMap,
      list: configMapList,
      create: configMapBody,
      update: configMapUpdateBody,
    },
    can,
  );
  return r;
}
