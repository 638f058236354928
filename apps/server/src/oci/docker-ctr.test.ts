import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  type Containerd,
  type Docker,
  hasContainerd,
  hasDockerd,
  startContainerd,
  startDockerd,
} from '../testing/container-daemons.js';
import { randomImage, writeLayout } from '../testing/oci-layout.js';
import { pushLayout } from '../testing/skopeo.js';

// The two clients that skopeo, podman and buildah (containers/image) do not stand in for:
// Docker's own daemon (its distribution client and token handling) and containerd's ctr.
// Both daemons run as root with private state; without root they cannot start, and the
// suites say so by being skipped (CI runs as root, so they run there).

describe.skipIf(!hasDockerd())('docker, with its own dockerd, against Berth', () => {
  let server: TestServer;
  let docker: Docker;
  let host: string;

  beforeAll(async () => {
    [server, docker] = await Promise.all([startTestServer(), startDockerd()]);
    // Docker talks plain HTTP to 127.0.0.0/8 without being told to.
    host = `127.0.0.1:${server.port}`;
    await server.api().post(apiPaths.namespaces()).send({ name: 'clients', region: 'local' });
  }, 90_000);

  afterAll(async () => {
    await docker?.stop();
    await server?.stop();
  });

  it('logs in with a password, pushes, and pulls back the same image by tag and by digest', async () => {
    const login = await docker.run(
      ['login', '--username', ADMIN.username, '--password-stdin', host],
      ADMIN.password,
    );
    expect(login.stdout).toContain('Login Succeeded');

    const ref = `${host}/clients/hello:1`;
    await docker.importImage(ref, 'hello from docker');
    const push = await docker.run(['push', ref]);
    expect(push.code, push.stderr).toBe(0);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)?.[1];
    expect(digest).toBeDefined();

    const listed = await server.api().get(apiPaths.images('clients', 'hello')).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ digest, tags: ['1'] })]);

    expect((await docker.run(['rmi', ref])).code).toBe(0);
    const pull = await docker.run(['pull', ref]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`Digest: ${digest}`);
    const byDigest = await docker.run(['pull', `${host}/clients/hello@${digest}`]);
    expect(byDigest.code, byDigest.stderr).toBe(0);
  });

  it('takes an API key as the password, and says what is missing when a tag is not there', async () => {
    const login = await docker.run(
      ['login', '--username', ADMIN.username, '--password-stdin', host],
      server.adminKey,
    );
    expect(login.stdout).toContain('Login Succeeded');
    const missing = await docker.run(['pull', `${host}/clients/hello:no-such-tag`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('manifest unknown');
  });

  it('refuses a wrong password at login with the registry’s reason', async () => {
    const login = await docker.run(
      ['login', '--username', ADMIN.username, '--password-stdin', host],
      'not the password at all',
    );
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/unauthorized|incorrect username or password/i);
  });
});

describe.skipIf(!hasContainerd())('containerd’s ctr against Berth', () => {
  let server: TestServer;
  let containerd: Containerd;
  let host: string;
  let user: string;

  beforeAll(async () => {
    [server, containerd] = await Promise.all([startTestServer(), startContainerd()]);
    host = `127.0.0.1:${server.port}`;
    user = `${ADMIN.username}:${server.adminKey}`;
    await server.api().post(apiPaths.namespaces()).send({ name: 'clients', region: 'local' });
  }, 90_000);

  afterAll(async () => {
    await containerd?.stop();
    await server?.stop();
  });

  it('pulls an image, and pushes it under another name', async () => {
    // ctr pushes only what is in containerd's store: skopeo puts an image into Berth first.
    const source = `${host}/clients/base:1`;
    const image = randomImage({ seed: 'ctr', layers: 2, layerBytes: 8 * 1024 });
    const layout = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ctr-'));
    try {
      writeLayout(layout, [{ manifest: image, ref: 'image' }]);
      await pushLayout(layout, 'image', source, { creds: user });
    } finally {
      fs.rmSync(layout, { recursive: true, force: true });
    }

    const pull = await containerd.ctr(['images', 'pull', '--plain-http', '--user', user, source]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(image.digest);

    const copy = `${host}/clients/copied:1`;
    expect((await containerd.ctr(['images', 'tag', source, copy])).code).toBe(0);
    const push = await containerd.ctr(['images', 'push', '--plain-http', '--user', user, copy]);
    expect(push.code, push.stderr).toBe(0);
    const got = await server.api().get(apiPaths.images('clients', 'copied')).expect(200);
    expect(got.body.items).toEqual([expect.objectContaining({ digest: image.digest })]);
  });

  it('stops at once with "not found" when the name has no namespace', async () => {
    const pull = await containerd.ctr([
      'images',
      'pull',
      '--plain-http',
      '--user',
      user,
      `${host}/app:1`,
    ]);
    expect(pull.code).not.toBe(0);
    // Berth answers 404 NAME_UNKNOWN (a 400 before); ctr prints only that the name was not
    // found, not the registry's reason.
    expect(pull.stderr).toMatch(/app:1.*not found/);
  });
});
