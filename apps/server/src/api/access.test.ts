import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, apiRoutes } from '@berth/contract';
import type { Router } from 'express';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry } from '../testing/fixtures.js';
import { createProject } from '../testing/projects.js';
import { addAccount, bearer, createKey, sent, signIn, type SignedIn } from '../testing/accounts.js';

let server: TestServer;
let alpha: SignedIn; // writer in team-alpha
let viewer: SignedIn; // viewer in team-alpha
let projectId = '';

beforeAll(async () => {
  server = await startTestServer();
  await seedSmallRegistry(server);
  projectId = (await createProject(server, 'shop')).id;
  const a = await addAccount(server, 'alice', { namespaces: { 'team-alpha': 'writer' } });
  const v = await addAccount(server, 'victor', {
    namespaces: { 'team-alpha': 'viewer' },
    projects: { [projectId]: 'viewer' },
  });
  alpha = await signIn(server.url, a.username, a.password);
  viewer = await signIn(server.url, v.username, v.password);
});
afterAll(async () => {
  await server.stop();
});

/** Every route the server answers under /api/v1, read off its routers. */
function mountedRoutes(): string[] {
  const found: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: Router };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          found.push(`${m} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle && 'stack' in layer.handle) {
        walk(layer.handle.stack as unknown as Layer[]);
      }
    }
  };
  const app = (server.server as unknown as { _events: { request: { router: Router } } })._events
    .request;
  // The /api/v1 router is the one that answers /health; the rest of the app is the registry,
  // the token endpoint and the console.
  const api = (app.router.stack as unknown as Layer[]).find((l) =>
    (l.handle?.stack as unknown as Layer[] | undefined)?.some((r) => r.route?.path === '/health'),
  );
  walk((api?.handle?.stack ?? []) as unknown as Layer[]);
  return found;
}

/** Fills a route template with values that exist, so a refusal is not a 404 in disguise. */
function concrete(path: string): string {
  return path
    .replace('{namespace}', 'team-alpha')
    .replace('{repository}', encodeURIComponent('web/app'))
    .replace('{digest}', 'sha256:' + 'a'.repeat(64))
    .replace('{tag}', 'latest')
    .replace('{projectId}', projectId)
    .replace('{name}', 'web')
    .replace('{username}', 'alice')
    .replace('{keyId}', '0123456789abcdef')
    .replace(/\{\w+\}/g, 'x');
}

describe('who may call what', () => {
  it('the contract lists every mounted API route, so the checks below see them all', () => {
    const listed = new Set(apiRoutes.map((r) => `${r.method} ${r.path.replace('/api/v1', '')}`));
    // The API's own description is checked for anonymous refusal below.
    const mounted = mountedRoutes().filter((r) => r !== 'get /openapi.json');
    expect(mounted.length).toBeGreaterThan(40);
    expect(mounted.filter((r) => !listed.has(r))).toEqual([]);
  });

  it('refuses every route to anonymous callers except health and sign-in', async () => {
    const before = await server.dump();
    const open: string[] = [];
    for (const route of apiRoutes) {
      const res = await request(server.url)[route.method](concrete(route.path)).send({});
      if (route.anonymous) {
        open.push(`${route.method} ${route.path}`);
        continue;
      }
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect(open).toEqual(['get /api/v1/health', 'post /api/v1/session']);
    await request(server.url).get('/api/v1/openapi.json').expect(401);
    expect(await server.dump()).toBe(before);
  });

  it('refuses a revoked, unknown or malformed API key', async () => {
    const key = await createKey(alpha, 'ci', 'read-write');
    await bearer(server.url, key).get(apiPaths.namespaces()).expect(200);
    const list = await alpha.agent.get(apiPaths.apiKeys()).expect(200);
    const id = list.body.items.find((k: { name: string }) => k.name === 'ci').id;
    await alpha.agent.delete(apiPaths.apiKey(id)).expect(204);
    for (const bad of [key, `${key.slice(0, -1)}x`, 'berth_nonsense', 'x'.repeat(5000)]) {
      const res = await bearer(server.url, bad).get(apiPaths.namespaces());
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    }
    const basic = await request(server.url).get(apiPaths.namespaces()).auth('alice', 'x');
    expect(basic.status).toBe(401);
  });
});

describe('isolation between namespaces', () => {
  it('shows a member only their namespaces, and others answer 404 as if absent', async () => {
    const list = await alpha.agent.get(apiPaths.namespaces()).expect(200);
    expect(list.body.items.map((n: { name: string; role: string }) => [n.name, n.role])).toEqual([
      ['team-alpha', 'writer'],
    ]);
    const regions = await alpha.agent.get(apiPaths.regions()).expect(200);
    expect(regions.body.items).toEqual([
      { name: 'eu-west', namespaceCount: 0 },
      { name: 'local', namespaceCount: 1 },
    ]);
    const before = await server.dump();
    const beta = [
      alpha.agent.get(apiPaths.namespace('team-beta')),
      alpha.agent.get(apiPaths.repositories('team-beta')),
      alpha.agent.get(apiPaths.images('team-beta', 'db')),
      alpha.agent.get(apiPaths.trash('team-beta')),
      alpha.agent.get(apiPaths.namespaceMembers('team-beta')),
      alpha.agent.delete(apiPaths.repository('team-beta', 'db')),
      alpha.agent.post(apiPaths.imagesDelete('team-beta')).send({ images: [] }),
      alpha.agent.delete(apiPaths.tag('team-beta', 'db', '15')),
      alpha.agent.post(apiPaths.trashRestore('team-beta')).send({ repository: 'db', tag: '15' }),
      alpha.agent.put(apiPaths.retentionPolicy('team-beta')).send({}),
      alpha.agent.delete(apiPaths.namespace('team-beta')),
      alpha.agent.get(apiPaths.namespace('no-such-ns')),
    ];
    for (const res of await Promise.all(beta)) {
      expect(res.status, sent(res)).toBe(404);
      expect(res.body.error.code).toBe('NAMESPACE_UNKNOWN');
    }
    const hidden = await alpha.agent.get(apiPaths.namespace('team-beta'));
    const absent = await alpha.agent.get(apiPaths.namespace('no-such-ns'));
    expect(hidden.body.error.message.replace('team-beta', 'X')).toBe(
      absent.body.error.message.replace('no-such-ns', 'X'),
    );
    expect(await server.dump()).toBe(before);
  });

  it('lets a viewer read and refuses every change with 403', async () => {
    await viewer.agent.get(apiPaths.images('team-alpha', 'web/app')).expect(200);
    await viewer.agent.get(apiPaths.trash('team-alpha')).expect(200);
    const before = await server.dump();
    const changes = [
      viewer.agent.delete(apiPaths.repository('team-alpha', 'web/app')),
      viewer.agent.delete(apiPaths.tag('team-alpha', 'web/app', 'latest')),
      viewer.agent
        .post(apiPaths.trashRestore('team-alpha'))
        .send({ repository: 'web/app', tag: 'x' }),
      viewer.agent.put(apiPaths.retentionPolicy('team-alpha')).send({ keepCount: 1 }),
      viewer.agent.post(apiPaths.retentionPreviews('team-alpha')).send({}),
      viewer.agent.delete(apiPaths.namespace('team-alpha')),
      viewer.agent.patch(apiPaths.namespace('team-alpha')).send({ public: true }),
      viewer.agent.put(apiPaths.namespaceMember('team-alpha', 'victor')).send({ role: 'manager' }),
      viewer.agent.post(apiPaths.namespaces()).send({ name: 'mine-now', region: 'local' }),
      viewer.agent.post(apiPaths.projects()).send({ name: 'mine', region: 'local' }),
      viewer.agent.post(apiPaths.gcRuns()).send({ dryRun: true }),
      viewer.agent.delete(apiPaths.project(projectId)),
      viewer.agent
        .post(apiPaths.projectChildren(projectId, 'config-maps'))
        .send({ name: 'x', data: {} }),
      viewer.agent.get(apiPaths.users()),
      viewer.agent.get(apiPaths.audit()),
    ];
    for (const res of await Promise.all(changes)) {
      expect(res.status, sent(res)).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect(await server.dump()).toBe(before);
  });

  it('lets a writer delete and restore but not manage', async () => {
    const del = await alpha.agent.delete(apiPaths.tag('team-alpha', 'web/app', '1.0')).expect(200);
    expect(del.body).toBeTruthy();
    await alpha.agent.delete(apiPaths.namespace('team-alpha')).expect(403);
    await alpha.agent
      .put(apiPaths.namespaceMember('team-alpha', 'alice'))
      .send({ role: 'manager' })
      .expect(403);
    // Projects are another world: no role there means 404.
    await alpha.agent.get(apiPaths.project(projectId)).expect(404);
    const projects = await alpha.agent
      .get(apiPaths.projects())
      .query({ region: 'local' })
      .expect(200);
    expect(projects.body.items).toEqual([]);
    const seen = await viewer.agent.get(apiPaths.projects()).query({ region: 'local' }).expect(200);
    expect(seen.body.items.map((p: { name: string; role: string }) => [p.name, p.role])).toEqual([
      ['shop', 'viewer'],
    ]);
  });

  it('narrows API keys: read-only keys cannot change, namespace lists hide the rest', async () => {
    const ro = await createKey(alpha, 'reader', 'read-only');
    const before = await server.dump();
    const refused = await bearer(server.url, ro).delete(
      apiPaths.tag('team-alpha', 'web/app', 'latest'),
    );
    expect(refused.status).toBe(403);
    expect(await server.dump()).toBe(before);
    const list = await bearer(server.url, ro).get(apiPaths.namespaces()).expect(200);
    expect(list.body.items[0]).toMatchObject({ name: 'team-alpha', role: 'viewer' });

    const admin = await signIn(server.url, 'admin', 'correct-horse-battery-staple');
    const scoped = await createKey(admin, 'beta-only', 'read-write', ['team-beta']);
    const names = await bearer(server.url, scoped).get(apiPaths.namespaces()).expect(200);
    expect(names.body.items.map((n: { name: string }) => n.name)).toEqual(['team-beta']);
    await bearer(server.url, scoped).get(apiPaths.repositories('team-alpha')).expect(404);
    // A namespace-scoped key reaches no project and no admin page, even an admin's.
    await bearer(server.url, scoped).get(apiPaths.project(projectId)).expect(404);
    await bearer(server.url, scoped).get(apiPaths.users()).expect(403);
    // Keys cannot mint keys.
    await bearer(server.url, scoped)
      .post(apiPaths.apiKeys())
      .send({ name: 'x', access: 'read-only' })
      .expect(403);
  });

  it('public namespaces are readable by every signed-in user, changeable only by members', async () => {
    await alpha.agent.get(apiPaths.repositories('team-beta')).expect(404);
    await server.api().patch(apiPaths.namespace('team-beta')).send({ public: true }).expect(200);
    const res = await alpha.agent.get(apiPaths.repositories('team-beta')).expect(200);
    expect(res.body.items.map((r: { name: string }) => r.name)).toEqual(['db']);
    const ns = await alpha.agent.get(apiPaths.namespace('team-beta')).expect(200);
    expect(ns.body).toMatchObject({ public: true, role: 'viewer' });
    await alpha.agent.delete(apiPaths.repository('team-beta', 'db')).expect(403);
    await server.api().patch(apiPaths.namespace('team-beta')).send({ public: false }).expect(200);
    await alpha.agent.get(apiPaths.repositories('team-beta')).expect(404);
  });
});

describe('members', () => {
  it('lets managers add, change and remove members, and refuses bad input changing nothing', async () => {
    const m = await addAccount(server, 'maria', { namespaces: { 'team-alpha': 'manager' } });
    const maria = await signIn(server.url, m.username, m.password);
    await addAccount(server, 'nils');
    const set = await maria.agent
      .put(apiPaths.namespaceMember('team-alpha', 'nils'))
      .send({ role: 'viewer' })
      .expect(200);
    expect(set.body).toMatchObject({ username: 'nils', role: 'viewer', addedBy: 'user:maria' });
    await maria.agent
      .put(apiPaths.namespaceMember('team-alpha', 'nils'))
      .send({ role: 'writer' })
      .expect(200);
    const list = await viewer.agent.get(apiPaths.namespaceMembers('team-alpha')).expect(200);
    expect(
      list.body.items.map((x: { username: string; role: string }) => `${x.username}:${x.role}`),
    ).toEqual(['alice:writer', 'maria:manager', 'nils:writer', 'victor:viewer']);
    const before = await server.dump();
    const bad: [Promise<request.Response>, number, string][] = [
      [
        maria.agent.put(apiPaths.namespaceMember('team-alpha', 'ghost')).send({ role: 'viewer' }),
        404,
        'USER_UNKNOWN',
      ],
      [
        maria.agent.put(apiPaths.namespaceMember('team-alpha', 'nils')).send({ role: 'owner' }),
        400,
        'INVALID_REQUEST',
      ],
      [
        maria.agent.put(apiPaths.namespaceMember('team-alpha', 'nils')).send({}),
        400,
        'INVALID_REQUEST',
      ],
      [
        maria.agent
          .put(apiPaths.namespaceMember('team-alpha', 'nils'))
          .send({ role: 'viewer', x: 1 }),
        400,
        'INVALID_REQUEST',
      ],
      [maria.agent.delete(apiPaths.namespaceMember('team-alpha', 'admin')), 404, 'MEMBER_UNKNOWN'],
      [
        maria.agent.put(apiPaths.namespaceMember('team-beta', 'nils')).send({ role: 'viewer' }),
        404,
        'NAMESPACE_UNKNOWN',
      ],
    ];
    for (const [res, status, code] of bad) {
      const r = await res;
      expect(r.status, sent(r)).toBe(status);
      expect(r.body.error.code).toBe(code);
    }
    expect(await server.dump()).toBe(before);
    await maria.agent.delete(apiPaths.namespaceMember('team-alpha', 'nils')).expect(204);
    const log = await server
      .api()
      .get(apiPaths.audit())
      .query({ action: 'namespace.member' })
      .expect(200);
    expect(
      log.body.items
        .slice(0, 3)
        .map((e: { action: string; actor: string; details: object }) => [
          e.action,
          e.actor,
          e.details,
        ]),
    ).toEqual([
      ['namespace.member.remove', 'user:maria', { previousRole: 'writer' }],
      ['namespace.member.set', 'user:maria', { role: 'writer', previousRole: 'viewer' }],
      ['namespace.member.set', 'user:maria', { role: 'viewer', previousRole: null }],
    ]);
  });

  it('gives project editors the children and managers the project', async () => {
    const e = await addAccount(server, 'edda', { projects: { [projectId]: 'editor' } });
    const edda = await signIn(server.url, e.username, e.password);
    await edda.agent
      .post(apiPaths.projectChildren(projectId, 'config-maps'))
      .send({ name: 'settings', data: { MODE: 'prod' } })
      .expect(201);
    await edda.agent.delete(apiPaths.project(projectId)).expect(403);
    await edda.agent
      .put(apiPaths.projectMember(projectId, 'edda'))
      .send({ role: 'manager' })
      .expect(403);
    await server
      .api()
      .put(apiPaths.projectMember(projectId, 'edda'))
      .send({ role: 'manager' })
      .expect(200);
    const members = await edda.agent.get(apiPaths.projectMembers(projectId)).expect(200);
    expect(members.body.items.map((x: { username: string }) => x.username)).toEqual([
      'edda',
      'victor',
    ]);
    const deleted = await edda.agent.delete(apiPaths.project(projectId)).expect(200);
    expect(deleted.body.permanent).toBe(false);
    await edda.agent.post(apiPaths.projectRestore(projectId)).expect(200);
  });
});
