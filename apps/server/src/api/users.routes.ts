import { Router } from 'express';
import { createUserBody, updateUserBody, user, userList } from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { param, send } from './respond.js';

/** Deployment admins manage accounts. */
export function usersRoutes({ identity, access }: Services): Router {
  const r = Router();
  r.get('/users', async (req, res) => {
    access.requireAdmin(principalOf(req), 'read');
    send(res, userList, { items: await identity.listUsers() });
  });
  r.post('/users', async (req, res) => {
    access.requireAdmin(principalOf(req));
    send(
      res,
      user,
      await identity.createUser(createUserBody.parse(req.body), principalOf(req)),
      201,
    );
  });
  r.patch('/users/:username', async (req, res) => {
    access.requireAdmin(principalOf(req));
    const body = updateUserBody.parse(req.body);
    send(res, user, await identity.updateUser(param(req, 'username'), body, principalOf(req)));
  });
  return r;
}
