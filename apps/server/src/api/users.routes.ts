import { Router } from 'express';
import { createUserBody, updateUserBody, user, userList } from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { guards } from './guards.js';
import { param, send } from './respond.js';

/** Deployment admins manage accounts. */
export function usersRoutes(services: Services): Router {
  const { identity } = services;
  const can = guards(services);
  const r = Router();
  r.get('/users', can.admin('read'), async (_req, res) => {
    send(res, userList, { items: await identity.listUsers() });
  });
  r.post('/users', can.admin(), async (req, res) => {
    send(
      res,
      user,
      await identity.createUser(createUserBody.parse(req.body), principalOf(req)),
      201,
    );
  });
  r.patch('/users/:username', can.admin(), async (req, res) => {
    const body = updateUserBody.parse(req.body);
    send(res, user, await identity.updateUser(param(req, 'username'), body, principalOf(req)));
  });
  return r;
}
