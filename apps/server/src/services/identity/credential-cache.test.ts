import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REGISTRY_TOKEN_PATH } from '@berth/contract';
import { ADMIN, startTestServer, type TestServer } from '../../testing/test-server.js';
import { basicAuth, createTestUser, type TestUser } from '../../testing/identity.js';
import { userPrincipal, CREDENTIAL_CACHE_MS } from './identity-service.js';

// Every scrypt check the server runs, counted: the point of the cache is to skip them.
const checks = vi.hoisted(() => ({ count: 0 }));
vi.mock('./passwords.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./passwords.js')>();
  return {
    ...original,
    verifyPassword: (hash: string, password: string) => {
      checks.count += 1;
      return original.verifyPassword(hash, password);
    },
  };
});

let server: TestServer;
let dana: TestUser;

const token = (username: string, password: string) =>
  request(server.url)
    .get(`${REGISTRY_TOKEN_PATH}?service=berth&scope=repository:alpha/app:pull`)
    .set('Authorization', basicAuth(username, password));

const admin = async () => userPrincipal((await server.store.users.find(ADMIN.username))!);

beforeAll(async () => {
  server = await startTestServer();
  await server.api().post('/api/v1/namespaces').send({ name: 'alpha', region: 'local' });
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  dana = await createTestUser(server, `dana${Date.now() % 100000}`, { roles: { alpha: 'viewer' } });
  checks.count = 0;
});

describe('registry credential cache', () => {
  it('runs scrypt once for repeated token requests with the same password, and again after 5 minutes', async () => {
    for (let i = 0; i < 5; i++) await token(dana.username, dana.password).expect(200);
    expect(checks.count).toBe(1);
    // Basic credentials on /v2 share it.
    await request(server.url)
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', basicAuth(dana.username, dana.password));
    expect(checks.count).toBe(1);
    server.clock.advance(CREDENTIAL_CACHE_MS + 1);
    await token(dana.username, dana.password).expect(200);
    expect(checks.count).toBe(2);
  });

  it('never remembers a failure, and a wrong password is not helped by a right one before', async () => {
    await token(dana.username, dana.password).expect(200);
    await token(dana.username, 'wrong-password-1').expect(401);
    await token(dana.username, 'wrong-password-1').expect(401);
    expect(checks.count).toBe(3);
  });

  it('a password change, a reset, or disabling the account counts at once', async () => {
    await token(dana.username, dana.password).expect(200);
    const { identity } = server.services;

    // The user changes it: the old password stops working on the next request.
    const { token: cookie } = await identity.login(dana.username, dana.password, '127.0.0.1');
    const session = (await identity.resolveSession(cookie))!;
    const next = `${dana.password}-2`;
    await identity.changePassword(session, dana.password, next, '127.0.0.1');
    await token(dana.username, dana.password).expect(401);
    await token(dana.username, next).expect(200);

    // Disabled: refused at once, though the password is right and was just checked.
    await identity.updateUser(dana.username, { disabled: true }, await admin());
    await token(dana.username, next).expect(401);
    await identity.updateUser(dana.username, { disabled: false }, await admin());
    await token(dana.username, next).expect(200);

    // An admin reset makes the password temporary: its value must be changed first.
    await identity.updateUser(dana.username, { password: `${next}-reset` }, await admin());
    await token(dana.username, next).expect(401);
    const temporary = await token(dana.username, `${next}-reset`).expect(401);
    expect(temporary.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
  });

  it('console sign-in always runs scrypt', async () => {
    await token(dana.username, dana.password).expect(200);
    checks.count = 0;
    await server.services.identity.login(dana.username, dana.password, '127.0.0.1');
    expect(checks.count).toBe(1);
  });
});
