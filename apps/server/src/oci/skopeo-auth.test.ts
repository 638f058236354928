import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import type { BuiltManifest } from '../seed/oci-content.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { createTestUser, dumpIgnoringLogins, type TestUser } from '../testing/identity.js';
import {
  allBlobs,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  writeLayout,
} from '../testing/oci-layout.js';
import {
  deleteImage,
  inspectRaw,
  login,
  pullToLayout,
  pushLayout,
  skopeoSession,
  type SkopeoSession,
} from '../testing/skopeo.js';

// The real client against the token flow: `skopeo login` with a password or an API key, then
// pushes and pulls that go through /auth/token, and what each account is refused.
describe('skopeo with accounts, API keys and namespace roles', () => {
  const image = randomImage({ seed: 'skopeo-auth', layers: 2, layerBytes: 32 * 1024 });
  const other = randomImage({ seed: 'skopeo-auth-other', layers: 1, layerBytes: 16 * 1024 });

  let server: TestServer;
  let host: string;
  let work: string;
  let source: string;
  const logs: string[] = [];
  const sessions: SkopeoSession[] = [];
  let alice: TestUser; // writer in alpha, read-write key
  let rita: TestUser; // writer in alpha, read-only key
  let bob: TestUser; // writer in bravo

  const admin = () => ({ creds: `admin:${server.adminKey}` });
  const fresh = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));
  const loggedIn = async (user: string, secret: string) => {
    const session = skopeoSession();
    sessions.push(session);
    await login(host, user, secret, { session });
    return session;
  };

  function expectSameBytes(pulled: string, ref: string, m: BuiltManifest) {
    expect(layoutRefDigest(pulled, ref)).toBe(m.digest);
    for (const b of allBlobs(m)) expect(layoutBlob(pulled, b.digest).equals(b.bytes)).toBe(true);
  }

  async function unchanged(fn: () => Promise<unknown>): Promise<void> {
    const before = await dumpIgnoringLogins(server);
    const blobs = server.blobFiles();
    await fn();
    expect(await dumpIgnoringLogins(server)).toBe(before);
    expect(server.blobFiles()).toEqual(blobs);
  }

  beforeAll(async () => {
    server = await startTestServer({
      logStream: { write: (line: string) => void logs.push(line) },
    });
    // skopeo reuses a token until issued_at + expires_in by its own clock: on the test clock's
    // date every token would look expired, and it would fetch (and scrypt) one per request.
    server.clock.advance(Date.now() - server.clock.now);
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-skopeo-auth-'));
    source = path.join(work, 'source');
    writeLayout(source, [
      { manifest: image, ref: 'image' },
      { manifest: other, ref: 'other' },
    ]);
    const api = server.api();
    for (const name of ['alpha', 'bravo']) {
      await api.post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    await api
      .post(apiPaths.namespaces())
      .send({ name: 'pubns', region: 'local', public: true })
      .expect(201);
    alice = await createTestUser(server, 'alice', { roles: { alpha: 'writer' }, key: {} });
    rita = await createTestUser(server, 'rita', {
      roles: { alpha: 'writer' },
      key: { access: 'read-only' },
    });
    bob = await createTestUser(server, 'bob', { roles: { bravo: 'writer' } });
    await pushLayout(source, 'other', `${host}/bravo/secret:v1`, admin());
    await pushLayout(source, 'other', `${host}/pubns/tool:v1`, admin());
  });

  afterEach(() => {
    for (const s of sessions.splice(0)) s.dispose();
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('logs in with a password, then pushes and pulls back byte for byte', async () => {
    const session = await loggedIn(alice.username, alice.password);
    expect(await pushLayout(source, 'image', `${host}/alpha/web:1.0`, { session })).toBe(
      image.digest,
    );
    const pulled = fresh('password');
    await pullToLayout(`${host}/alpha/web:1.0`, pulled, 'pulled', { session });
    expectSameBytes(pulled, 'pulled', image);
  });

  it('logs in with an API key as the password, then pushes and pulls', async () => {
    const session = await loggedIn(alice.username, alice.key!);
    await pushLayout(source, 'image', `${host}/alpha/keyed:1.0`, { session });
    const pulled = fresh('key');
    await pullToLayout(`${host}/alpha/keyed:1.0`, pulled, 'pulled', { session });
    expectSameBytes(pulled, 'pulled', image);
  });

  it('refuses a login with a wrong password, saying so', async () => {
    const session = skopeoSession();
    sessions.push(session);
    await expect(login(host, alice.username, 'not-the-password', { session })).rejects.toThrow(
      // skopeo prints its own words for a 401 from the token endpoint.
      /invalid username\/password/,
    );
  });

  it('a read-only key pulls but cannot push, and nothing is stored', async () => {
    const session = await loggedIn(rita.username, rita.key!);
    const pulled = fresh('read-only');
    await pullToLayout(`${host}/alpha/web:1.0`, pulled, 'pulled', { session });
    expectSameBytes(pulled, 'pulled', image);
    await unchanged(async () => {
      await expect(
        pushLayout(source, 'other', `${host}/alpha/web:2.0`, { session }),
      ).rejects.toThrow(/denied: .*read-only/);
      // skopeo delete prints the error body as it came.
      await expect(deleteImage(`${host}/alpha/web:1.0`, { session })).rejects.toThrow(
        /DENIED.*read-only/,
      );
    });
  });

  it('a user of namespace bravo can neither push, pull nor delete in alpha', async () => {
    const session = await loggedIn(bob.username, bob.password);
    await unchanged(async () => {
      await expect(
        pushLayout(source, 'other', `${host}/alpha/web:2.0`, { session }),
      ).rejects.toThrow(/name unknown: namespace \W*alpha\W* does not exist, or bob has no access/);
      await expect(
        pullToLayout(`${host}/alpha/web:1.0`, fresh('denied'), 'x', { session }),
      ).rejects.toThrow(/name unknown/);
      await expect(deleteImage(`${host}/alpha/web:1.0`, { session })).rejects.toThrow();
      await expect(deleteImage(`${host}/alpha/web@${image.digest}`, { session })).rejects.toThrow();
    });
    // And in bravo, bob can do all three.
    await pushLayout(source, 'image', `${host}/bravo/mine:1`, { session });
    await pullToLayout(`${host}/bravo/secret:v1`, fresh('bob'), 'x', { session });
    await deleteImage(`${host}/bravo/mine:1`, { session });
    // The image alpha's writers pushed is still there, whole.
    expect((await inspectRaw(`${host}/alpha/web:1.0`, admin())).equals(image.bytes)).toBe(true);
  });

  it('pulls from a public namespace without logging in, and cannot push there', async () => {
    const pulled = fresh('public');
    await pullToLayout(`${host}/pubns/tool:v1`, pulled, 'pulled');
    expectSameBytes(pulled, 'pulled', other);
    await unchanged(async () => {
      await expect(pushLayout(source, 'image', `${host}/pubns/tool:v2`)).rejects.toThrow(
        /unauthorized: authentication required/,
      );
      await expect(pullToLayout(`${host}/bravo/secret:v1`, fresh('private'), 'x')).rejects.toThrow(
        /unauthorized: authentication required/,
      );
    });
  });

  it('logs no password, API key or token', () => {
    const text = logs.join('');
    expect(text).toContain('/auth/token');
    for (const secret of [alice.password, alice.key!, rita.key!, bob.password, server.adminKey]) {
      expect(text.includes(secret), secret.slice(0, 12)).toBe(false);
    }
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  });
});
