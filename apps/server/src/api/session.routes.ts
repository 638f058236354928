import { Router } from 'express';
import {
  apiKeyList,
  changePasswordBody,
  createApiKeyBody,
  createdApiKey,
  loginBody,
  session,
} from '@berth/contract';
import type { Services } from '../services/index.js';
import { addressOf, principalOf, sessionOf } from './request-auth.js';
import { checkCsrf, requireSignedIn, sessionCookieName } from './authentication.js';
import { param, send } from './respond.js';

/** Sign-in, sign-out, your password and your API keys. */
export function sessionRoutes(services: Services, tls: boolean): Router {
  const { identity, access } = services;
  const cookieName = sessionCookieName(tls);
  const r = Router();

  r.post('/session', async (req, res) => {
    const body = loginBody.parse(req.body);
    const { token, session: created } = await identity.login(
      body.username,
      body.password,
      addressOf(req),
    );
    res.cookie(cookieName, token, {
      httpOnly: true,
      secure: tls,
      sameSite: 'lax',
      path: '/',
      maxAge: identity.settings.sessionMaxMs,
    });
    send(res, session, created);
  });

  r.get('/session', async (req, res) => {
    send(res, session, await identity.currentSession(sessionOf(req)));
  });

  r.delete('/session', async (req, res) => {
    const current = sessionOf(req);
    checkCsrf(req);
    await identity.logout(current);
    res.clearCookie(cookieName, { path: '/', httpOnly: true, secure: tls, sameSite: 'lax' });
    res.status(204).end();
  });

  r.post('/session/password', async (req, res) => {
    const current = sessionOf(req);
    checkCsrf(req);
    const body = changePasswordBody.parse(req.body);
    await identity.changePassword(current, body.currentPassword, body.newPassword, addressOf(req));
    res.status(204).end();
  });

  r.get('/api-keys', requireSignedIn, async (req, res) => {
    send(res, apiKeyList, { items: await identity.listKeys(principalOf(req)) });
  });

  r.post('/api-keys', requireSignedIn, async (req, res) => {
    const p = principalOf(req);
    const body = createApiKeyBody.parse(req.body);
    const created = await identity.createKey(
      p,
      body,
      async (ns) => (await access.namespaceRoleOf(p, ns)) !== null,
    );
    send(res, createdApiKey, created, 201);
  });

  r.delete('/api-keys/:keyId', requireSignedIn, async (req, res) => {
    await identity.revokeKey(principalOf(req), param(req, 'keyId'));
    res.status(204).end();
  });

  return r;
}
