import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TOKEN_PATH, apiPaths } from '@berth/contract';
import { registryRoutes } from './registry-router.js';
import { randomBytesFromSeed, sha256Digest, type BuiltManifest } from '../seed/oci-content.js';
import { randomImage } from '../testing/oci-layout.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import { PRINCIPAL_CACHE_MS, TOKEN_KEY_PURPOSE } from '../services/identity/registry-tokens.js';
import { createKeyring, generateRootKey, readKeyFile } from '../services/projects/keyring.js';
import { REGISTRY_AUTH_CACHE_MS } from './auth-decisions.js';
import {
  basicAuth,
  createTestUser,
  dumpIgnoringLogins,
  revokeTestKey,
  type TestUser,
} from '../testing/identity.js';
import { type AnyResponse, expectOciError } from '../testing/oci-errors.js';

// Registry authentication and authorization spoken by hand over a real socket: the Docker
// token flow, raw API keys and Basic credentials on /v2, and what each kind of caller may do.

const OCTETS = 'application/octet-stream';
const TTL_S = 300;

let server: TestServer;
const logs: string[] = [];
/** Every token issued in these tests: none may show up in the log. */
const issued: string[] = [];
let alice: TestUser; // writer in alpha, with a read-write API key
let bob: TestUser; // writer in bravo
let vera: TestUser; // viewer in alpha

const anon = () => request(server.url);

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

function parseChallenge(header: string | undefined): Challenge {
  expect(header).toBeDefined();
  const [scheme = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(header ?? '')?.slice(1) ?? [];
  const params: Record<string, string> = {};
  for (const m of rest.matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme, params };
}

/** A 401 with the token specification's challenge; returns its parameters. */
function expectChallenge(res: AnyResponse, scope?: string): Record<string, string> {
  expectOciError(res, 401, 'UNAUTHORIZED');
  const { scheme, params } = parseChallenge(res.headers['www-authenticate']);
  expect(scheme).toBe('Bearer');
  expect(params.realm).toBe(`${server.url}${REGISTRY_TOKEN_PATH}`);
  expect(params.service).toBe('berth');
  expect(params.scope).toBe(scope);
  return params;
}

function tokenPath(scopes: string[], extra: [string, string][] = []): string {
  const query = new URLSearchParams([
    ['service', 'berth'],
    ...scopes.map((s): [string, string] => ['scope', s]),
    ...extra,
  ]);
  return `${REGISTRY_TOKEN_PATH}?${query.toString()}`;
}

/** GET /auth/token, as a client does after a challenge; returns the token. */
async function getToken(scopes: string[], authorization?: string): Promise<string> {
  const req = anon().get(tokenPath(scopes));
  if (authorization) req.set('Authorization', authorization);
  const res = await req.expect(200);
  expect(res.body).toEqual({
    token: expect.any(String),
    access_token: res.body.token,
    expires_in: TTL_S,
    issued_at: new Date(server.clock.now - (server.clock.now % 1000)).toISOString(),
  });
  expect(res.headers['cache-control']).toBe('no-store');
  issued.push(res.body.token as string);
  return res.body.token as string;
}

const bearer = (token: string) => `Bearer ${token}`;

function sendBytes(req: request.Test, type: string, bytes: Buffer): request.Test {
  return req
    .set('Content-Type', type)
    .serialize((body: Buffer) => body as unknown as string)
    .send(bytes);
}

function putBlob(repo: string, bytes: Buffer, authorization: string): request.Test {
  return anon()
    .post(`/v2/${repo}/blobs/uploads/?digest=${sha256Digest(bytes)}`)
    .set('Authorization', authorization)
    .set('Content-Type', OCTETS)
    .send(bytes);
}

async function pushImage(repo: string, image: BuiltManifest, tag: string, authorization: string) {
  for (const b of [image.config!, ...image.layers]) {
    await putBlob(repo, b.bytes, authorization).expect(201);
  }
  await sendBytes(
    anon().put(`/v2/${repo}/manifests/${tag}`).set('Authorization', authorization),
    image.mediaType,
    image.bytes,
  ).expect(201);
}

const adminAuth = () => bearer(server.adminKey);

beforeAll(async () => {
  server = await startTestServer({
    logStream: { write: (line: string) => void logs.push(line) },
    // The throttle test counts failures per account; the whole file shares one address.
    env: { BERTH_LOGIN_FAILURES_PER_ADDRESS: '1000', BERTH_TOKEN_TTL_S: String(TTL_S) },
  });
  const api = server.api();
  await api.post(apiPaths.namespaces()).send({ name: 'alpha', region: 'local' }).expect(201);
  await api.post(apiPaths.namespaces()).send({ name: 'bravo', region: 'local' }).expect(201);
  await api
    .post(apiPaths.namespaces())
    .send({ name: 'pubns', region: 'local', public: true })
    .expect(201);
  alice = await createTestUser(server, 'alice', { roles: { alpha: 'writer' }, key: {} });
  bob = await createTestUser(server, 'bob', { roles: { bravo: 'writer' } });
  vera = await createTestUser(server, 'vera', { roles: { alpha: 'viewer' } });
  await pushImage(
    'bravo/secret',
    randomImage({ seed: 'bravo-secret', layers: 1, layerBytes: 64 }),
    'v1',
    adminAuth(),
  );
  await pushImage(
    'pubns/tool',
    randomImage({ seed: 'pub-tool', layers: 1, layerBytes: 64 }),
    'v1',
    adminAuth(),
  );
});

afterAll(async () => {
  await server?.stop();
});

describe('discovering authentication', () => {
  it('anonymous GET and HEAD /v2/ are 401 with a Bearer challenge naming the token endpoint', async () => {
    const res = await anon().get('/v2/');
    expect(expectChallenge(res)).not.toHaveProperty('error');
    const head = await anon().head('/v2/');
    expect(head.status).toBe(401);
    expect(parseChallenge(head.headers['www-authenticate']).params.realm).toBe(
      `${server.url}${REGISTRY_TOKEN_PATH}`,
    );
  });

  it('GET /v2/ is 200 with Basic credentials, a raw API key, or any token', async () => {
    await anon()
      .get('/v2/')
      .set('Authorization', basicAuth(alice.username, alice.password))
      .expect(200);
    await anon()
      .get('/v2/')
      .set('Authorization', basicAuth(alice.username, alice.key!))
      .expect(200);
    await anon().get('/v2/').set('Authorization', bearer(alice.key!)).expect(200);
    await anon()
      .get('/v2/')
      .set('Authorization', bearer(await getToken([])))
      .expect(200);
  });

  it('bad credentials on /v2 are 401 with the challenge, an unknown scheme too', async () => {
    for (const authorization of [
      basicAuth(alice.username, 'not-the-password'),
      bearer('berth_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      bearer('not-a-token'),
      'Digest username="alice"',
    ]) {
      const res = await anon().get('/v2/alpha/app/tags/list').set('Authorization', authorization);
      expectChallenge(res, 'repository:alpha/app:pull');
    }
  });

  it('the realm follows X-Forwarded-Proto and -Host only behind a trusted proxy', async () => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'registry.example.com' };
    const direct = await anon().get('/v2/').set(forwarded);
    expect(parseChallenge(direct.headers['www-authenticate']).params.realm).toBe(
      `${server.url}${REGISTRY_TOKEN_PATH}`,
    );
    const proxied = await startTestServer({ env: { BERTH_TRUST_PROXY: 'loopback' } });
    try {
      const res = await request(proxied.url).get('/v2/').set(forwarded);
      expect(parseChallenge(res.headers['www-authenticate']).params.realm).toBe(
        `https://registry.example.com${REGISTRY_TOKEN_PATH}`,
      );
    } finally {
      await proxied.stop();
    }
  });
});

describe('the token endpoint', () => {
  it('Basic credentials buy a token granting what was asked and is allowed, and it pushes and pulls', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull,push'],
      basicAuth(alice.username, alice.password),
    );
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'berth',
      sub: 'alice',
      aud: 'berth',
      access: [{ type: 'repository', name: 'alpha/app', actions: ['pull', 'push'] }],
      uid: alice.userId,
    });
    expect(claims).not.toHaveProperty('key_id');
    expect(claims.exp! - claims.iat!).toBe(TTL_S);
    expect(claims.jti).toEqual(expect.any(String));

    const image = randomImage({ seed: 'token-flow', layers: 2, layerBytes: 100 });
    await pushImage('alpha/app', image, 'v1', bearer(token));
    const got = await anon()
      .get('/v2/alpha/app/manifests/v1')
      .set('Authorization', bearer(token))
      .expect(200);
    expect(got.headers['docker-content-digest']).toBe(image.digest);
    await anon()
      .get(`/v2/alpha/app/blobs/${image.layers[0]!.digest}`)
      .set('Authorization', bearer(token))
      .expect(200);
    // skopeo deletes with scope "*"; the audit log names the user, not "anonymous".
    await sendBytes(
      anon().put('/v2/alpha/app/manifests/v2').set('Authorization', bearer(token)),
      image.mediaType,
      image.bytes,
    ).expect(201);
    const all = await getToken(
      ['repository:alpha/app:*'],
      basicAuth(alice.username, alice.password),
    );
    expect(decodeJwt(all).access).toEqual([
      { type: 'repository', name: 'alpha/app', actions: ['*'] },
    ]);
    await anon().delete('/v2/alpha/app/manifests/v2').set('Authorization', bearer(all)).expect(202);
    const entries = await server.services.audit.list({ action: 'tag.delete' }, { limit: 10 });
    expect(entries.items[0]).toMatchObject({ actor: 'user:alice', outcome: 'success' });
  });

  it('an API key as the password works, and the token remembers the key', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.key!),
    );
    expect(decodeJwt(token)).toMatchObject({
      sub: 'alice',
      uid: alice.userId,
      key_id: alice.keyId,
    });
    await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(token)).expect(200);
  });

  it('a token scoped to pull cannot push: 401 insufficient_scope with the scope to ask for', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    const before = await dumpIgnoringLogins(server);
    const blobs = server.blobFiles();
    const res = await putBlob('alpha/app', randomBytesFromSeed('pull-only', 100), bearer(token));
    const params = expectChallenge(res, 'repository:alpha/app:pull,push');
    expect(params.error).toBe('insufficient_scope');
    expect(await dumpIgnoringLogins(server)).toBe(before);
    expect(server.blobFiles()).toEqual(blobs);
  });

  it('a viewer asking for push gets pull only, and pushing is 403 DENIED', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull,push'],
      basicAuth(vera.username, vera.password),
    );
    expect(decodeJwt(token).access).toEqual([
      { type: 'repository', name: 'alpha/app', actions: ['pull'] },
    ]);
    await anon().get('/v2/alpha/app/manifests/v1').set('Authorization', bearer(token)).expect(200);
    const before = await dumpIgnoringLogins(server);
    const res = await anon()
      .post('/v2/alpha/app/blobs/uploads/')
      .set('Authorization', bearer(token));
    expect(expectOciError(res, 403, 'DENIED')).toMatch(/vera has the viewer role.*needs writer/);
    const del = await anon()
      .delete('/v2/alpha/app/manifests/v1')
      .set('Authorization', basicAuth(vera.username, vera.password));
    expectOciError(del, 403, 'DENIED');
    expect(await dumpIgnoringLogins(server)).toBe(before);
  });

  it('a token for a namespace the user has no role in grants nothing, and it answers like a missing one', async () => {
    const token = await getToken(
      ['repository:bravo/secret:pull,push,delete', 'repository:nosuchns/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    expect(decodeJwt(token).access).toEqual([]);
    const hidden = await anon()
      .get('/v2/bravo/secret/manifests/v1')
      .set('Authorization', bearer(token));
    const missing = await anon()
      .get('/v2/nosuchns/app/manifests/v1')
      .set('Authorization', bearer(token));
    const hiddenMessage = expectOciError(hidden, 404, 'NAME_UNKNOWN');
    const missingMessage = expectOciError(missing, 404, 'NAME_UNKNOWN');
    expect(hiddenMessage.replace('bravo', 'X')).toBe(missingMessage.replace('nosuchns', 'X'));
    // With Basic credentials or the raw key, the same.
    for (const authorization of [basicAuth(alice.username, alice.password), bearer(alice.key!)]) {
      const res = await anon()
        .get('/v2/bravo/secret/tags/list')
        .set('Authorization', authorization);
      expectOciError(res, 404, 'NAME_UNKNOWN');
      const push = await putBlob(
        'bravo/secret',
        randomBytesFromSeed('into-bravo', 10),
        authorization,
      );
      expectOciError(push, 404, 'NAME_UNKNOWN');
    }
  });

  it('an expired token is refused with invalid_token; a new one works', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(token)).expect(200);
    server.clock.advance((TTL_S + 1) * 1000);
    const res = await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(token));
    expect(expectChallenge(res, 'repository:alpha/app:pull').error).toBe('invalid_token');
    expectChallenge(await anon().get('/v2/').set('Authorization', bearer(token)));
    const fresh = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(fresh)).expect(200);
  });

  it('a token is refused once its API key is revoked or its user disabled', async () => {
    const carl = await createTestUser(server, 'carl', { roles: { alpha: 'viewer' }, key: {} });
    const byKey = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(carl.username, carl.key!),
    );
    const byPassword = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(carl.username, carl.password),
    );
    await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(byKey)).expect(200);
    await revokeTestKey(server, carl);
    // Accounts and keys are looked up again after at most five seconds.
    server.clock.advance(6_000);
    const revoked = await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(byKey));
    expect(expectChallenge(revoked, 'repository:alpha/app:pull').error).toBe('invalid_token');
    expectChallenge(
      await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(carl.key!)),
      'repository:alpha/app:pull',
    );
    await anon()
      .get(tokenPath([]))
      .set('Authorization', basicAuth(carl.username, carl.key!))
      .expect(401);
    // The password's token still works, until the account is disabled.
    await anon()
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', bearer(byPassword))
      .expect(200);
    await server.api().patch(apiPaths.user('carl')).send({ disabled: true }).expect(200);
    server.clock.advance(6_000);
    expectChallenge(
      await anon().get('/v2/alpha/app/tags/list').set('Authorization', bearer(byPassword)),
      'repository:alpha/app:pull',
    );
  });

  it('bad credentials are a JSON 401; a temporary password says to change it first', async () => {
    const res = await anon()
      .get(tokenPath(['repository:alpha/app:pull']))
      .set('Authorization', basicAuth(alice.username, 'wrong-password-here'))
      .expect(401);
    expect(res.body).toEqual({
      error: { code: 'INVALID_CREDENTIALS', message: expect.any(String) },
      errors: [{ code: 'UNAUTHORIZED', message: res.body.error.message }],
      details: res.body.error.message,
    });
    const admin = await server.store.users.find(ADMIN.username);
    await server.services.identity.createUser(
      { username: 'newbie', password: 'temporary-password-1' },
      { kind: 'user', userId: admin!.id, username: admin!.username, admin: true, key: null },
    );
    const temp = await anon()
      .get(tokenPath([]))
      .set('Authorization', basicAuth('newbie', 'temporary-password-1'))
      .expect(401);
    expect(temp.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect(temp.body.details).toMatch(/change it first/);
    expect(temp.body.errors).toEqual([{ code: 'UNAUTHORIZED', message: temp.body.details }]);
  });

  it('asks for the right service and takes the OAuth2 password grant too', async () => {
    const wrong = await anon().get(`${REGISTRY_TOKEN_PATH}?service=other`).expect(400);
    expect(wrong.body.error.code).toBe('SERVICE_UNKNOWN');
    const res = await anon()
      .post(REGISTRY_TOKEN_PATH)
      .type('form')
      .send({
        grant_type: 'password',
        username: alice.username,
        password: alice.password,
        service: 'berth',
        client_id: 'tests',
        scope: 'repository:alpha/app:pull repository:bravo/secret:pull',
      })
      .expect(200);
    issued.push(res.body.access_token as string);
    expect(res.body).toMatchObject({ expires_in: TTL_S, scope: 'repository:alpha/app:pull' });
    await anon()
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', bearer(res.body.access_token))
      .expect(200);
    const refresh = await anon()
      .post(REGISTRY_TOKEN_PATH)
      .type('form')
      .send({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        service: 'berth',
        client_id: 'tests',
      })
      .expect(400);
    expect(refresh.body.error).toBe('unsupported_grant_type');
  });

  it('audits credentialed token requests as registry.login, anonymous ones not', async () => {
    const count = async (actor: string) =>
      (await server.services.audit.list({ action: 'registry.login', actor }, { limit: 500 })).items
        .length;
    const before = { bob: await count('user:bob'), anonymous: await count('anonymous') };
    await getToken(['repository:bravo/secret:pull'], basicAuth(bob.username, bob.password));
    await getToken(['repository:pubns/tool:pull']);
    expect(await count('user:bob')).toBe(before.bob + 1);
    expect(await count('anonymous')).toBe(before.anonymous);
    const [entry] = (
      await server.services.audit.list(
        { action: 'registry.login', actor: 'user:bob' },
        { limit: 1 },
      )
    ).items;
    expect(entry).toMatchObject({ outcome: 'success', target: 'bob' });
  });
});

describe('/v1/search', () => {
  const search = (params: string, authorization?: string) => {
    const req = anon().get(`/v1/search?${params}`);
    if (authorization) req.set('Authorization', authorization);
    return req;
  };
  const names = (res: AnyResponse) =>
    (res.body as { results: { name: string }[] }).results.map((r) => r.name);

  it('answers a request without credentials with the challenge for registry:catalog:search', async () => {
    expectChallenge(await search('q=tool'), 'registry:catalog:search');
  });

  it('finds only repositories the caller may pull from, in the shape Docker reads', async () => {
    const anonymous = await getToken(['registry:catalog:search']);
    expect(names(await search('q=tool', bearer(anonymous)).expect(200))).toEqual(['pubns/tool']);
    expect(names(await search('q=secret', bearer(anonymous)).expect(200))).toEqual([]);
    // alice is in alpha, not bravo; bob is in bravo.
    const hidden = await search('q=secret', basicAuth(alice.username, alice.password)).expect(200);
    expect(hidden.body).toMatchObject({ num_results: 0, results: [] });
    const found = await search('q=secret', basicAuth(bob.username, bob.password)).expect(200);
    expect(found.body).toEqual({
      num_results: 1,
      num_pages: 1,
      page: 1,
      page_size: 25,
      query: 'secret',
      results: [
        {
          name: 'bravo/secret',
          description: '',
          star_count: 0,
          is_official: false,
          is_automated: false,
        },
      ],
    });
    expect(names(await search('q=bravo/sec', adminAuth()).expect(200))).toEqual(['bravo/secret']);
    // LIKE's wildcards are plain characters here.
    expect(names(await search('q=%25', adminAuth()).expect(200))).toEqual([]);
  });

  it('a token must carry registry:catalog:search, which anyone may get', async () => {
    const without = await getToken([], basicAuth(bob.username, bob.password));
    expect(
      expectChallenge(await search('q=secret', bearer(without)), 'registry:catalog:search').error,
    ).toBe('insufficient_scope');
    const scoped = await getToken(
      ['registry:catalog:search'],
      basicAuth(bob.username, bob.password),
    );
    expect(names(await search('q=secret', bearer(scoped)).expect(200))).toEqual(['bravo/secret']);
  });

  it('pages with n and page; n is capped at 100 and must be a whole number', async () => {
    const all = await search('q=', adminAuth()).expect(200);
    expect(all.body.num_results).toBeGreaterThanOrEqual(2);
    const second = await search('q=&n=1&page=2', adminAuth()).expect(200);
    expect(second.body).toMatchObject({ page: 2, page_size: 1, num_pages: all.body.num_results });
    expect(names(second)).toEqual([names(all)[1]]);
    expect((await search('q=&n=1000', adminAuth()).expect(200)).body.page_size).toBe(100);
    for (const bad of ['n=0', 'n=abc', 'page=-1']) {
      expectOciError(await search(bad, adminAuth()), 400, 'PAGINATION_NUMBER_INVALID');
    }
  });
});

describe('API keys with any username', () => {
  it('a valid key works with any username and acts as its owner; the audit records both names', async () => {
    // Someone else's username with alice's key is alice: bob's namespace stays out of reach.
    for (const username of ['token', 'ci-bot', bob.username]) {
      await anon()
        .get('/v2/alpha/app/tags/list')
        .set('Authorization', basicAuth(username, alice.key!))
        .expect(200);
      expectOciError(
        await anon()
          .get('/v2/bravo/secret/tags/list')
          .set('Authorization', basicAuth(username, alice.key!)),
        404,
        'NAME_UNKNOWN',
      );
    }
    const token = await getToken(['repository:alpha/app:pull'], basicAuth('ci-bot', alice.key!));
    expect(decodeJwt(token)).toMatchObject({ sub: 'alice' });
    const [entry] = (await server.services.audit.list({ action: 'registry.login' }, { limit: 1 }))
      .items;
    expect(entry).toMatchObject({
      actor: expect.stringMatching(/^key:alice\//),
      target: 'alice',
      outcome: 'success',
      details: expect.objectContaining({ username: 'ci-bot' }),
    });
  });

  it('a wrong or revoked key fails whatever the username', async () => {
    const kim = await createTestUser(server, 'kim', { roles: { alpha: 'viewer' }, key: {} });
    await anon()
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', basicAuth('anyone', kim.key!))
      .expect(200);
    await revokeTestKey(server, kim);
    // Refused once /v2's trust in the checked key has run out (see the next describe).
    server.clock.advance(REGISTRY_AUTH_CACHE_MS + 1);
    expectChallenge(
      await anon()
        .get('/v2/alpha/app/tags/list')
        .set('Authorization', basicAuth('anyone', kim.key!)),
      'repository:alpha/app:pull',
    );
  });
});

describe('revocation while /v2 trusts checked credentials', () => {
  // /v2 remembers a credential that held, and the roles it was found to have, for
  // REGISTRY_AUTH_CACHE_MS; a token's account for PRINCIPAL_CACHE_MS more. The README and
  // docs/registry.md promise 2 seconds in all.
  const BOUND_MS = REGISTRY_AUTH_CACHE_MS + PRINCIPAL_CACHE_MS;
  const tags = (authorization: string) =>
    anon().get('/v2/alpha/app/tags/list').set('Authorization', authorization);

  it('is at most 2 seconds', () => {
    expect(BOUND_MS).toBeLessThanOrEqual(2_000);
  });

  it('a revoked API key stops within the bound, raw, as Basic, and through its token', async () => {
    const rita = await createTestUser(server, 'rita', { roles: { alpha: 'viewer' }, key: {} });
    const raw = bearer(rita.key!);
    const basic = basicAuth('ci', rita.key!);
    const token = bearer(await getToken(['repository:alpha/app:pull'], basic));
    for (const auth of [raw, basic, token]) await tags(auth).expect(200);
    await revokeTestKey(server, rita);
    // Within the bound the decisions made a moment ago may still serve…
    for (const auth of [raw, basic, token]) await tags(auth).expect(200);
    server.clock.advance(BOUND_MS + 1);
    // …and past it, each is refused.
    expectChallenge(await tags(raw), 'repository:alpha/app:pull');
    expectChallenge(await tags(basic), 'repository:alpha/app:pull');
    expect(expectChallenge(await tags(token), 'repository:alpha/app:pull').error).toBe(
      'invalid_token',
    );
  });

  it('a disabled user stops within the bound, with a password, a key or a token', async () => {
    const dora = await createTestUser(server, 'dora', { roles: { alpha: 'viewer' }, key: {} });
    const password = basicAuth(dora.username, dora.password);
    const key = bearer(dora.key!);
    const token = bearer(await getToken(['repository:alpha/app:pull'], password));
    for (const auth of [password, key, token]) await tags(auth).expect(200);
    await server.api().patch(apiPaths.user('dora')).send({ disabled: true }).expect(200);
    server.clock.advance(BOUND_MS + 1);
    for (const auth of [password, key, token]) {
      expectChallenge(await tags(auth), 'repository:alpha/app:pull');
    }
  });

  it('a removed role stops within the bound: the namespace answers as if it did not exist', async () => {
    const rob = await createTestUser(server, 'rob', { roles: { alpha: 'writer' }, key: {} });
    const key = bearer(rob.key!);
    const token = bearer(
      await getToken(['repository:alpha/app:pull,push'], basicAuth(rob.username, rob.password)),
    );
    for (const auth of [key, token]) await tags(auth).expect(200);
    await server.api().delete(apiPaths.namespaceMember('alpha', 'rob')).expect(204);
    server.clock.advance(BOUND_MS + 1);
    for (const auth of [key, token]) expectOciError(await tags(auth), 404, 'NAME_UNKNOWN');
  });

  it('a role lowered to viewer stops pushes within the bound', async () => {
    const wes = await createTestUser(server, 'wes', { roles: { alpha: 'writer' }, key: {} });
    const key = bearer(wes.key!);
    const start = () => anon().post('/v2/alpha/app/blobs/uploads/').set('Authorization', key);
    await start().expect(202);
    await server
      .api()
      .put(apiPaths.namespaceMember('alpha', 'wes'))
      .send({ role: 'viewer' })
      .expect(200);
    server.clock.advance(BOUND_MS + 1);
    expectOciError(await start(), 403, 'DENIED');
    await tags(key).expect(200);
  });
});

describe('every route', () => {
  it('refuses anonymous callers on a private namespace with the challenge, changing nothing', async () => {
    const digest = sha256Digest(randomBytesFromSeed('anon', 10));
    const samples: [string, string][] = [
      ['GET', '/v2/'],
      ['HEAD', '/v2/'],
      ['GET', '/v2/_catalog'],
      ['GET', '/v2/bravo/secret/tags/list'],
      ['GET', '/v2/bravo/secret/manifests/v1'],
      ['HEAD', '/v2/bravo/secret/manifests/v1'],
      ['PUT', '/v2/bravo/secret/manifests/v2'],
      ['DELETE', `/v2/bravo/secret/manifests/${digest}`],
      ['POST', '/v2/bravo/secret/blobs/uploads/'],
      ['GET', '/v2/bravo/secret/blobs/uploads/0f0e6a0c-7c2a-4d49-9a43-3f3c1c2b9e11'],
      ['PATCH', '/v2/bravo/secret/blobs/uploads/0f0e6a0c-7c2a-4d49-9a43-3f3c1c2b9e11'],
      [
        'PUT',
        `/v2/bravo/secret/blobs/uploads/0f0e6a0c-7c2a-4d49-9a43-3f3c1c2b9e11?digest=${digest}`,
      ],
      ['DELETE', '/v2/bravo/secret/blobs/uploads/0f0e6a0c-7c2a-4d49-9a43-3f3c1c2b9e11'],
      ['GET', `/v2/bravo/secret/blobs/${digest}`],
      ['HEAD', `/v2/bravo/secret/blobs/${digest}`],
      ['DELETE', `/v2/bravo/secret/blobs/${digest}`],
      ['GET', `/v2/bravo/secret/referrers/${digest}`],
    ];
    // The samples cover the router's whole table, so a new route cannot be missed here.
    for (const route of registryRoutes(server.services)) {
      for (const method of Object.keys(route.methods)) {
        const covered = samples.some(
          ([m, p]) => m === method && route.pattern.test(new URL(p, server.url).pathname.slice(3)),
        );
        expect(covered, `${method} ${String(route.pattern)}`).toBe(true);
      }
    }
    const before = await dumpIgnoringLogins(server);
    for (const [method, path] of samples) {
      const req = anon()[method.toLowerCase() as 'get'](path);
      const res = await (['PUT', 'PATCH', 'POST'].includes(method)
        ? req.send(Buffer.from('x'))
        : req);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate'], `${method} ${path}`).toMatch(/^Bearer realm="/);
    }
    expect(await dumpIgnoringLogins(server)).toBe(before);
  });
});

describe('public namespaces', () => {
  it('pull without credentials or with an anonymous token, but never push', async () => {
    await anon().get('/v2/pubns/tool/manifests/v1').expect(200);
    const token = await getToken(['repository:pubns/tool:pull,push']);
    expect(decodeJwt(token)).toMatchObject({
      sub: '',
      access: [{ type: 'repository', name: 'pubns/tool', actions: ['pull'] }],
    });
    expect(decodeJwt(token)).not.toHaveProperty('uid');
    await anon().get('/v2/pubns/tool/tags/list').set('Authorization', bearer(token)).expect(200);
    const before = await dumpIgnoringLogins(server);
    const bytes = randomBytesFromSeed('anonymous-push', 50);
    expectChallenge(
      await putBlob('pubns/tool', bytes, bearer(token)),
      'repository:pubns/tool:pull,push',
    );
    expectChallenge(
      await anon()
        .post(`/v2/pubns/tool/blobs/uploads/?digest=${sha256Digest(bytes)}`)
        .send(bytes),
      'repository:pubns/tool:pull,push',
    );
    expectChallenge(
      await anon().delete('/v2/pubns/tool/manifests/v1'),
      'repository:pubns/tool:delete',
    );
    expect(await dumpIgnoringLogins(server)).toBe(before);
    // Private namespaces, and missing ones, ask anonymous callers to log in.
    expectChallenge(
      await anon().get('/v2/bravo/secret/manifests/v1'),
      'repository:bravo/secret:pull',
    );
    expectChallenge(
      await anon().get('/v2/nosuchns/app/manifests/v1'),
      'repository:nosuchns/app:pull',
    );
  });

  it('a malformed name is a 400 for anonymous callers too', async () => {
    expectOciError(await anon().get('/v2/UPPER/app/tags/list'), 400, 'NAME_INVALID');
  });
});

describe('_catalog', () => {
  const catalog = (authorization?: string, query = '') => {
    const req = anon().get(`/v2/_catalog${query}`);
    if (authorization) req.set('Authorization', authorization);
    return req;
  };

  it('lists only the repositories of namespaces the caller can see', async () => {
    await pushImage(
      'bravo/zeta',
      randomImage({ seed: 'bravo-zeta', layers: 1, layerBytes: 64 }),
      'v1',
      adminAuth(),
    );
    const all = await catalog(adminAuth()).expect(200);
    expect(all.body.repositories).toEqual([
      'alpha/app',
      'bravo/secret',
      'bravo/zeta',
      'pubns/tool',
    ]);
    const forAlice = await catalog(basicAuth(alice.username, alice.password)).expect(200);
    expect(forAlice.body.repositories).toEqual(['alpha/app', 'pubns/tool']);
    const forBob = await catalog(basicAuth(bob.username, bob.password)).expect(200);
    expect(forBob.body.repositories).toEqual(['bravo/secret', 'bravo/zeta', 'pubns/tool']);

    // Pages with n and last over the filtered list.
    const first = await catalog(basicAuth(bob.username, bob.password), '?n=2').expect(200);
    expect(first.body.repositories).toEqual(['bravo/secret', 'bravo/zeta']);
    expect(first.headers.link).toBe('</v2/_catalog?n=2&last=bravo%2Fzeta>; rel="next"');
    const second = await catalog(
      basicAuth(bob.username, bob.password),
      '?n=2&last=bravo%2Fzeta',
    ).expect(200);
    expect(second.body.repositories).toEqual(['pubns/tool']);
    expect(second.headers.link).toBeUndefined();
  });

  it('wants a credential, and a token must carry registry:catalog:*', async () => {
    expectChallenge(await catalog(), 'registry:catalog:*');
    const anonymous = await getToken(['registry:catalog:*']);
    expect((await catalog(bearer(anonymous)).expect(200)).body.repositories).toEqual([
      'pubns/tool',
    ]);
    const withoutScope = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    const res = await catalog(bearer(withoutScope));
    expect(expectChallenge(res, 'registry:catalog:*').error).toBe('insufficient_scope');
    const scoped = await getToken(
      ['registry:catalog:*'],
      basicAuth(alice.username, alice.password),
    );
    expect((await catalog(bearer(scoped)).expect(200)).body.repositories).toEqual([
      'alpha/app',
      'pubns/tool',
    ]);
  });
});

describe('cross-repository mount', () => {
  it('from a repository the caller cannot pull, it falls back to an upload and links nothing', async () => {
    const secret = randomBytesFromSeed('mount-secret', 300);
    const digest = sha256Digest(secret);
    await putBlob('bravo/secret', secret, adminAuth()).expect(201);
    const token = await getToken(
      ['repository:alpha/mounted:pull,push', 'repository:bravo/secret:pull'],
      basicAuth(alice.username, alice.password),
    );
    for (const authorization of [bearer(token), basicAuth(alice.username, alice.password)]) {
      const res = await anon()
        .post(`/v2/alpha/mounted/blobs/uploads/?mount=${digest}&from=bravo/secret`)
        .set('Authorization', authorization)
        .expect(202);
      expect(res.headers.location).toMatch(/^\/v2\/alpha\/mounted\/blobs\/uploads\/[0-9a-f-]{36}$/);
      await anon()
        .head(`/v2/alpha/mounted/blobs/${digest}`)
        .set('Authorization', authorization)
        .expect(404);
      await anon().delete(res.headers.location!).set('Authorization', authorization).expect(204);
    }
  });

  it('from a repository the caller can pull, it mounts; the challenge asks for pull on the source too', async () => {
    const shared = randomBytesFromSeed('mount-shared', 300);
    const digest = sha256Digest(shared);
    await putBlob('alpha/source', shared, adminAuth()).expect(201);
    const mountPath = `/v2/alpha/target/blobs/uploads/?mount=${digest}&from=alpha/source`;
    const both = 'repository:alpha/target:pull,push repository:alpha/source:pull';

    // As Distribution: the first challenge names both repositories, in one scope parameter.
    const first = expectChallenge(await anon().post(mountPath), both);
    // A token for the target alone is not enough while the account may pull the source.
    const narrow = await getToken(
      ['repository:alpha/target:pull,push'],
      basicAuth(alice.username, alice.password),
    );
    const retry = await anon().post(mountPath).set('Authorization', bearer(narrow));
    expect(expectChallenge(retry, both).error).toBe('insufficient_scope');

    // Following the challenge as clients do (its scopes, space-separated) gets the mount.
    const wide = await getToken(first.scope!.split(' '), basicAuth(alice.username, alice.password));
    const mounted = await anon().post(mountPath).set('Authorization', bearer(wide)).expect(201);
    expect(mounted.headers['docker-content-digest']).toBe(digest);
    await anon()
      .head(`/v2/alpha/target/blobs/${digest}`)
      .set('Authorization', bearer(wide))
      .expect(200);
  });
});

describe('throttling', () => {
  it('bad Basic credentials are throttled per account: 429 TOOMANYREQUESTS with Retry-After', async () => {
    const erin = await createTestUser(server, 'erin', { roles: { alpha: 'viewer' } });
    for (let i = 0; i < 5; i++) {
      expectChallenge(
        await anon()
          .get('/v2/alpha/app/tags/list')
          .set('Authorization', basicAuth('erin', `wrong-${i}`)),
        'repository:alpha/app:pull',
      );
    }
    // Locked: even the right password is refused until the window has passed.
    const locked = await anon()
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', basicAuth('erin', erin.password));
    expect(expectOciError(locked, 429, 'TOOMANYREQUESTS')).toMatch(/try again in \d+ seconds/);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const tokenLocked = await anon()
      .get(tokenPath(['repository:alpha/app:pull']))
      .set('Authorization', basicAuth('erin', erin.password))
      .expect(429);
    expect(tokenLocked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(tokenLocked.headers['retry-after'])).toBeGreaterThan(0);

    server.clock.advance(15 * 60 * 1000 + 1000);
    await anon()
      .get('/v2/alpha/app/tags/list')
      .set('Authorization', basicAuth('erin', erin.password))
      .expect(200);
  });
});

describe('the signing key', () => {
  it('is derived from the root key: any process with that key verifies, no file is kept', async () => {
    const token = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    const rootKeys = readKeyFile(path.join(server.dataDir, 'root.key'));
    // What another process configured with the same root key derives verifies this one's token.
    const same = createKeyring({ read: () => rootKeys }).derivedKeys(TOKEN_KEY_PURPOSE)[0]!;
    const { payload } = await jwtVerify(token, same, {
      audience: 'berth',
      currentDate: new Date(server.clock.now),
    });
    expect(payload.sub).toBe('alice');
    // Under another root key the same derivation gives another signing key.
    const other = createKeyring({ read: () => [generateRootKey()] }).derivedKeys(
      TOKEN_KEY_PURPOSE,
    )[0]!;
    await expect(jwtVerify(token, other, { audience: 'berth' })).rejects.toThrow(
      /signature verification failed/,
    );
    expect(fs.readdirSync(server.dataDir).filter((f) => f.startsWith('token.key'))).toEqual([]);
  });

  it('tokens signed before a root key rotation still verify; new ones use the new key', async () => {
    const file = path.join(server.dataDir, 'root.key');
    const before = fs.readFileSync(file, 'utf8');
    const oldKeys = readKeyFile(file);
    const oldToken = await getToken(
      ['repository:alpha/app:pull'],
      basicAuth(alice.username, alice.password),
    );
    // What the rotation command writes: the new key first, the old ones after it.
    const newKey = generateRootKey();
    fs.writeFileSync(file, `${newKey.toString('base64')}\n${before}`);
    try {
      await anon()
        .get('/v2/alpha/app/tags/list')
        .set('Authorization', bearer(oldToken))
        .expect(200);
      const newToken = await getToken(
        ['repository:alpha/app:pull'],
        basicAuth(alice.username, alice.password),
      );
      const [signer] = createKeyring({ read: () => [newKey, ...oldKeys] }).derivedKeys(
        TOKEN_KEY_PURPOSE,
      );
      await jwtVerify(newToken, signer!, {
        audience: 'berth',
        currentDate: new Date(server.clock.now),
      });
      await anon()
        .get('/v2/alpha/app/tags/list')
        .set('Authorization', bearer(newToken))
        .expect(200);
    } finally {
      fs.writeFileSync(file, before);
    }
  });
});

describe('logs', () => {
  it('never contain a password, an API key or a token', async () => {
    const text = logs.join('');
    // The capture works: the token requests were logged.
    expect(text).toContain(REGISTRY_TOKEN_PATH);
    const secrets = [
      alice.password,
      alice.key!,
      bob.password,
      vera.password,
      server.adminKey,
      ...issued,
    ];
    expect(issued.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text.includes(secret), secret.slice(0, 12)).toBe(false);
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
    expect(text).not.toContain(basicAuth(alice.username, alice.password).slice(6));
  });
});
