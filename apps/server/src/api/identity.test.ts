import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry } from '../testing/fixtures.js';
import { addAccount, sent, signIn } from '../testing/accounts.js';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('sessions', () => {
  it('signs in with an httpOnly cookie, answers who is signed in, and signs out', async () => {
    server = await startTestServer();
    const res = await request(server.url)
      .post(apiPaths.session())
      .send({ username: ADMIN.username, password: ADMIN.password })
      .expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/^berth_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    expect(res.body).toMatchObject({
      user: { username: 'admin', admin: true, mustChangePassword: false },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const session = await signIn(server.url, ADMIN.username, ADMIN.password);
    const me = await session.agent.get(apiPaths.session()).expect(200);
    expect(me.body.user.username).toBe('admin');
    await session.agent.get(apiPaths.namespaces()).expect(200);
    await session.agent.delete(apiPaths.session()).expect(204);
    const after = await session.agent.get(apiPaths.namespaces());
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    // The stored session is a digest: the database alone cannot sign anyone in.
    const token = cookie.split(';')[0]!.split('=')[1]!;
    expect(await server.dump()).not.toContain(token);
    const rows = await server.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('ends a session after the idle timeout, and after the absolute one despite activity', async () => {
    server = await startTestServer({
      env: { BERTH_SESSION_IDLE_MS: String(30 * MINUTE), BERTH_SESSION_MAX_MS: String(2 * HOUR) },
    });
    const idle = await signIn(server.url, ADMIN.username, ADMIN.password);
    server.clock.advance(29 * MINUTE);
    await idle.agent.get(apiPaths.session()).expect(200);
    server.clock.advance(29 * MINUTE);
    await idle.agent.get(apiPaths.session()).expect(200);
    server.clock.advance(31 * MINUTE);
    await idle.agent.get(apiPaths.session()).expect(401);

    const busy = await signIn(server.url, ADMIN.username, ADMIN.password);
    for (let i = 0; i < 7; i++) {
      server.clock.advance(20 * MINUTE);
      await busy.agent.get(apiPaths.namespaces()).expect(i < 5 ? 200 : 401);
    }
  });

  it('refuses a change without the CSRF token and changes nothing', async () => {
    server = await startTestServer();
    await seedSmallRegistry(server);
    const session = await signIn(server.url, ADMIN.username, ADMIN.password);
    const before = await server.dump();
    const attempts = [
      session.cookieOnly.delete(apiPaths.namespace('team-beta')),
      session.cookieOnly.delete(apiPaths.tag('team-alpha', 'web/app', 'latest')),
      session.cookieOnly
        .post(apiPaths.users())
        .send({ username: 'mallory', password: 'x'.repeat(20) }),
      session.cookieOnly.post(apiPaths.apiKeys()).send({ name: 'stolen', access: 'read-write' }),
      session.cookieOnly
        .delete(apiPaths.namespace('team-beta'))
        .set('X-CSRF-Token', `${session.csrf.slice(0, -2)}xx`),
      session.cookieOnly.delete(apiPaths.session()),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status, sent(res)).toBe(403);
      expect(res.body.error.code).toBe('CSRF_TOKEN_INVALID');
    }
    expect(await server.dump()).toBe(before);
    // Reading needs no token; with it, the change goes through.
    await session.cookieOnly.get(apiPaths.namespaces()).expect(200);
    await session.agent.delete(apiPaths.namespace('team-beta')).expect(200);
  });

  it('requires a temporary password to be changed before anything else', async () => {
    server = await startTestServer();
    await server
      .api()
      .post(apiPaths.users())
      .send({ username: 'tara', password: 'temporary-secret-1' })
      .expect(201);
    const first = await signIn(server.url, 'tara', 'temporary-secret-1');
    const me = await first.agent.get(apiPaths.session()).expect(200);
    expect(me.body.user.mustChangePassword).toBe(true);
    const blocked = await first.agent.get(apiPaths.namespaces());
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const weak = await first.agent
      .post(apiPaths.sessionPassword())
      .send({ currentPassword: 'temporary-secret-1', newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('WEAK_PASSWORD');
    const wrong = await first.agent
      .post(apiPaths.sessionPassword())
      .send({ currentPassword: 'not-the-password', newPassword: 'a-much-better-secret' });
    expect(wrong.status).toBe(401);
    await first.agent
      .post(apiPaths.sessionPassword())
      .send({ currentPassword: 'temporary-secret-1', newPassword: 'a-much-better-secret' })
      .expect(204);
    await first.agent.get(apiPaths.namespaces()).expect(200);
    const old = await request(server.url)
      .post(apiPaths.session())
      .send({ username: 'tara', password: 'temporary-secret-1' });
    expect(old.status).toBe(401);
  });

  it('throttles failed sign-ins per account and per address, right password or not', async () => {
    server = await startTestServer({
      env: { BERTH_LOGIN_FAILURES_PER_ACCOUNT: '5', BERTH_LOGIN_FAILURES_PER_ADDRESS: '12' },
    });
    const login = (username: string, password: string) =>
      request(server.url).post(apiPaths.session()).send({ username, password });
    for (let i = 0; i < 5; i++) {
      const res = await login('admin', `guess-${i}`);
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({
        code: 'INVALID_CREDENTIALS',
        message: 'the username or password is not right',
      });
    }
    const locked = await login('admin', ADMIN.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    // Unknown accounts look the same as known ones, and still count against the address.
    for (let i = 0; i < 7; i++) expect((await login(`nobody${i}`, 'guess')).status).toBe(401);
    expect((await login('someone-else', 'guess')).status).toBe(429);
    // The window passes.
    server.clock.advance(16 * MINUTE);
    await login('admin', ADMIN.password).expect(200);
    const failures = await server.store.audit.list({
      action: 'session.login',
      outcome: 'failure',
      limit: 100,
    });
    expect(failures.items.length).toBe(14);
    expect(failures.items.map((e) => e.target)).toContain('(unknown user)');
    expect(JSON.stringify(failures.items)).not.toMatch(/guess|nobody/);
  });

  it('counts failures across every process on the database', async () => {
    server = await startTestServer({ env: { BERTH_LOGIN_FAILURES_PER_ACCOUNT: '3' } });
    // A second process on the same database: what a load balancer spreads requests over.
    const other = await startTestServer({
      dataDir: server.dataDir,
      env: { BERTH_LOGIN_FAILURES_PER_ACCOUNT: '3' },
    });
    try {
      const login = (s: TestServer, password: string) =>
        request(s.url).post(apiPaths.session()).send({ username: 'admin', password });
      expect((await login(server, 'guess-1')).status).toBe(401);
      expect((await login(other, 'guess-2')).status).toBe(401);
      expect((await login(server, 'guess-3')).status).toBe(401);
      // Three failures, on two processes: both refuse the right password now.
      expect((await login(other, ADMIN.password)).status).toBe(429);
      expect((await login(server, ADMIN.password)).status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('users and API keys', () => {
  it('lets admins create, promote, disable and reset users; others may not', async () => {
    server = await startTestServer();
    const bob = await addAccount(server, 'bob');
    const bobs = await signIn(server.url, bob.username, bob.password);
    await bobs.agent.get(apiPaths.users()).expect(403);
    await bobs.agent.patch(apiPaths.user('bob')).send({ admin: true }).expect(403);
    const list = await server.api().get(apiPaths.users()).expect(200);
    expect(
      list.body.items.map((u: { username: string; admin: boolean }) => [u.username, u.admin]),
    ).toEqual([
      ['admin', true],
      ['bob', false],
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password_hash|passwordHash/);
    await server.api().patch(apiPaths.user('bob')).send({ disabled: true }).expect(200);
    await bobs.agent.get(apiPaths.session()).expect(401);
    const refused = await request(server.url).post(apiPaths.session()).send(bob);
    expect(refused.status).toBe(401);
    await server
      .api()
      .patch(apiPaths.user('bob'))
      .send({ disabled: false, password: 'reset-by-the-admin' })
      .expect(200);
    const again = await signIn(server.url, 'bob', 'reset-by-the-admin');
    expect((await again.agent.get(apiPaths.session())).body.user.mustChangePassword).toBe(true);
  });

  it('refuses bad user input and keeps the last admin', async () => {
    server = await startTestServer();
    const admin = await signIn(server.url, ADMIN.username, ADMIN.password);
    const before = await server.dump();
    const cases: [object, number, string][] = [
      [{ username: 'Bad Name', password: 'long-enough-password' }, 400, 'INVALID_USERNAME'],
      [{ username: 'x', password: 'long-enough-password' }, 400, 'INVALID_USERNAME'],
      [{ username: 'carol', password: 'short' }, 400, 'WEAK_PASSWORD'],
      [{ username: 'carol', password: 'carol-is-my-password' }, 400, 'WEAK_PASSWORD'],
      [{ username: 'carol' }, 400, 'INVALID_REQUEST'],
      [
        { username: 'carol', password: 'long-enough-password', role: 'god' },
        400,
        'INVALID_REQUEST',
      ],
      [{ username: 'admin', password: 'long-enough-password' }, 409, 'USER_EXISTS'],
    ];
    for (const [body, status, code] of cases) {
      const res = await server.api().post(apiPaths.users()).send(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    const self = await admin.agent.patch(apiPaths.user('admin')).send({ admin: false });
    expect(self.body.error.code).toBe('SELF_LOCKOUT');
    await server.api().patch(apiPaths.user('nobody')).send({ admin: true }).expect(404);
    expect(await server.dump()).toBe(before);
  });

  it('shows a key once, stores only its digest, and lists it with its last use', async () => {
    server = await startTestServer();
    const admin = await signIn(server.url, ADMIN.username, ADMIN.password);
    const created = await admin.agent
      .post(apiPaths.apiKeys())
      .send({ name: 'deploy bot', access: 'read-only' })
      .expect(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^berth_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(created.body.prefix)).toBe(true);
    await request(server.url)
      .get(apiPaths.namespaces())
      .set('Authorization', `Bearer ${secret}`)
      .expect(200);
    const list = await admin.agent.get(apiPaths.apiKeys()).expect(200);
    const listed = list.body.items.find((k: { name: string }) => k.name === 'deploy bot');
    expect(listed).toMatchObject({ access: 'read-only', namespaces: null, revokedAt: null });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(23));
    expect(await server.dump()).not.toContain(secret.slice(23));
    const audit = JSON.stringify(await server.store.audit.list({ limit: 100 }));
    expect(audit).not.toContain(secret.slice(23));
    // Bad input changes nothing.
    const before = await server.dump();
    for (const body of [
      { name: '', access: 'read-only' },
      { name: 'x'.repeat(65), access: 'read-only' },
      { name: 'ok', access: 'admin' },
      { name: 'ok', access: 'read-only', namespaces: ['no-such-namespace'] },
      { name: 'deploy bot', access: 'read-only' },
    ]) {
      const res = await admin.agent.post(apiPaths.apiKeys()).send(body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.body.error.code).toBeTruthy();
    }
    await admin.agent.delete(apiPaths.apiKey('0000000000000000')).expect(404);
    expect(await server.dump()).toBe(before);
  });
});

describe('audit log', () => {
  it('records who did what with the request id, filters, pages and exports CSV', async () => {
    server = await startTestServer();
    await seedSmallRegistry(server);
    const alice = await addAccount(server, 'alice', { namespaces: { 'team-alpha': 'writer' } });
    const session = await signIn(server.url, alice.username, alice.password);
    const untag = await session.agent
      .delete(apiPaths.tag('team-alpha', 'web/app', '1.0'))
      .expect(200);
    const page = await server
      .api()
      .get(apiPaths.audit())
      .query({ actor: 'user:alice' })
      .expect(200);
    expect(page.body.items.map((e: { action: string }) => e.action)).toEqual([
      'tag.delete',
      'session.login',
      'user.password.change',
      'session.login',
    ]);
    expect(page.body.items[0]).toMatchObject({
      actor: 'user:alice',
      target: 'team-alpha/web/app:1.0',
      outcome: 'success',
      requestId: untag.headers['x-request-id'],
    });
    const ns = await server
      .api()
      .get(apiPaths.audit())
      .query({ namespace: 'team-alpha' })
      .expect(200);
    expect(ns.body.items.map((e: { action: string }) => e.action)).toEqual([
      'tag.delete',
      'namespace.member.set',
      'namespace.create',
    ]);
    const members = await server
      .api()
      .get(apiPaths.audit())
      .query({ action: 'namespace.member' })
      .expect(200);
    expect(members.body.items[0]).toMatchObject({
      target: 'team-alpha/alice',
      details: { role: 'writer', previousRole: null },
    });
    const first = await server.api().get(apiPaths.audit()).query({ limit: 2 }).expect(200);
    const second = await server
      .api()
      .get(apiPaths.audit())
      .query({ limit: 2, cursor: first.body.nextCursor })
      .expect(200);
    expect(second.body.items[0].id).toBeLessThan(first.body.items[1].id);
    const window = await server
      .api()
      .get(apiPaths.audit())
      .query({ from: '2026-11-01T11:00:00Z', to: '2026-11-01T13:00:00Z', actor: 'user:alice' })
      .expect(200);
    expect(window.body.items.length).toBe(4);
    const csv = await server
      .api()
      .get(apiPaths.auditCsv())
      .query({ actor: 'user:alice' })
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('time,actor,action,target,outcome,request_id,details');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain(',user:alice,tag.delete,team-alpha/web/app:1.0,success,');
    for (const q of [
      { from: 'yesterday' },
      { limit: 1000 },
      { outcome: 'maybe' },
      { cursor: 'forged' },
    ]) {
      expect((await server.api().get(apiPaths.audit()).query(q)).status).toBe(400);
    }
  });

  it('cannot be rewritten or deleted, even by the application', async () => {
    server = await startTestServer();
    const db = server.store.db;
    await expect(
      db.updateTable('audit_events').set({ actor: 'someone-else' }).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
  });
});
