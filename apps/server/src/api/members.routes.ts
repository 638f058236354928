import { Router } from 'express';
import {
  namespaceMember,
  namespaceMemberList,
  projectMember,
  projectMemberList,
  setNamespaceMemberBody,
  setProjectMemberBody,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { param, send } from './respond.js';

/** Who holds which role in a namespace or project: members read, managers change. */
export function membersRoutes({ access }: Services): Router {
  const r = Router();
  const ns = '/namespaces/:namespace/members';
  const project = '/projects/:projectId/members';

  r.get(ns, async (req, res) => {
    const target = await access.requireNamespace(principalOf(req), param(req, 'namespace'), 'read');
    send(res, namespaceMemberList, { items: await access.namespaceMembers(target) });
  });
  r.put(`${ns}/:username`, async (req, res) => {
    const target = await access.requireNamespace(
      principalOf(req),
      param(req, 'namespace'),
      'manage',
    );
    const { role } = setNamespaceMemberBody.parse(req.body);
    send(
      res,
      namespaceMember,
      await access.setNamespaceMember(target, param(req, 'username'), role, principalOf(req)),
    );
  });
  r.delete(`${ns}/:username`, async (req, res) => {
    const target = await access.requireNamespace(
      principalOf(req),
      param(req, 'namespace'),
      'manage',
    );
    await access.removeNamespaceMember(target, param(req, 'username'), principalOf(req));
    res.status(204).end();
  });

  r.get(project, async (req, res) => {
    await access.requireProject(principalOf(req), param(req, 'projectId'), 'read');
    send(res, projectMemberList, { items: await access.projectMembers(param(req, 'projectId')) });
  });
  r.put(`${project}/:username`, async (req, res) => {
    await access.requireProject(principalOf(req), param(req, 'projectId'), 'manage');
    const { role } = setProjectMemberBody.parse(req.body);
    send(
      res,
      projectMember,
      await access.setProjectMember(
        param(req, 'projectId'),
        param(req, 'username'),
        role,
        principalOf(req),
      ),
    );
  });
  r.delete(`${project}/:username`, async (req, res) => {
    await access.requireProject(principalOf(req), param(req, 'projectId'), 'manage');
    await access.removeProjectMember(
      param(req, 'projectId'),
      param(req, 'username'),
      principalOf(req),
    );
    res.status(204).end();
  });
  return r;
}
