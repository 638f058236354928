import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { apiPaths, type ApiKeyAccess } from '@berth/contract';
import type { NamespaceRole, ProjectRole } from '@berth/domain';
import type { TestServer } from './test-server.js';

type Agent = ReturnType<typeof request.agent>;

export interface SignedIn {
  /** Sends the session cookie and the CSRF header. */
  agent: Agent;
  /** Sends the session cookie only: what a cross-site request would carry. */
  cookieOnly: Agent;
  csrf: string;
}

/** Signs in through the API, as the console does. */
export async function signIn(url: string, username: string, password: string): Promise<SignedIn> {
  const cookieOnly = request.agent(url);
  const res = await cookieOnly.post(apiPaths.session()).send({ username, password }).expect(200);
  const csrf = (res.body as { csrfToken: string }).csrfToken;
  const cookies = res.headers['set-cookie'] as unknown as string[];
  const agent = request.agent(url).set('Cookie', cookies.map((c) => c.split(';')[0]).join('; '));
  return { agent: agent.set('X-CSRF-Token', csrf), cookieOnly, csrf };
}

export interface Account {
  username: string;
  password: string;
}

/**
 * A user created by the admin through the API, who has replaced the temporary password, with
 * the given roles.
 */
export async function addAccount(
  server: TestServer,
  username: string,
  roles: {
    namespaces?: Record<string, NamespaceRole>;
    projects?: Record<string, ProjectRole>;
  } = {},
): Promise<Account> {
  const temporary = `temporary-${randomUUID()}`;
  const password = `chosen-${randomUUID()}`;
  await server.api().post(apiPaths.users()).send({ username, password: temporary }).expect(201);
  const first = await signIn(server.url, username, temporary);
  await first.agent
    .post(apiPaths.sessionPassword())
    .send({ currentPassword: temporary, newPassword: password })
    .expect(204);
  for (const [ns, role] of Object.entries(roles.namespaces ?? {})) {
    await server.api().put(apiPaths.namespaceMember(ns, username)).send({ role }).expect(200);
  }
  for (const [id, role] of Object.entries(roles.projects ?? {})) {
    await server.api().put(apiPaths.projectMember(id, username)).send({ role }).expect(200);
  }
  return { username, password };
}

/** An API key of the signed-in user; returns the secret, shown this once. */
export async function createKey(
  session: SignedIn,
  name: string,
  access: ApiKeyAccess,
  namespaces?: string[],
): Promise<string> {
  const res = await session.agent
    .post(apiPaths.apiKeys())
    .send({ name, access, ...(namespaces ? { namespaces } : {}) })
    .expect(201);
  return (res.body as { secret: string }).secret;
}

export function bearer(url: string, key: string): Agent {
  return request.agent(url).set('Authorization', `Bearer ${key}`);
}

/** "METHOD /path" of the request a response answers, to name a failing case. */
export function sent(res: request.Response): string {
  const req = (res as unknown as { req: { method: string; path: string } }).req;
  return `${req.method} ${req.path}`;
}
