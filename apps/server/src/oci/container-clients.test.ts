import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  type ContainerTools,
  containerTools,
  hasContainerTools,
} from '../testing/container-tools.js';
import { type Docker, hasDockerd, startDockerd } from '../testing/container-daemons.js';
import { hasSkopeo, pushLayout, skopeo } from '../testing/skopeo.js';
import { randomImage, writeLayout } from '../testing/oci-layout.js';
import { createTestUser } from '../testing/identity.js';
import { userPrincipal } from '../services/identity/identity-service.js';

// What real clients print for what Berth answers: podman and buildah (containers/image 5.23,
// as skopeo), and Docker's own daemon. Each runs with private storage and credentials.

let server: TestServer;
let host: string;

const adminPrincipal = async () => userPrincipal((await server.store.users.find(ADMIN.username))!);

/** The server's request log (pino-http lines), to see which requests clients made. */
const requests: { method: string; url: string; status: number }[] = [];

beforeAll(async () => {
  server = await startTestServer({
    logStream: {
      write(line: string) {
        const entry = JSON.parse(line) as {
          req?: { method: string; url: string };
          res?: { statusCode: number };
        };
        if (entry.req && entry.res) {
          requests.push({
            method: entry.req.method,
            url: entry.req.url,
            status: entry.res.statusCode,
          });
        }
      },
    },
  });
  host = `127.0.0.1:${server.port}`;
  await server.api().post(apiPaths.namespaces()).send({ name: 'clients', region: 'local' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!hasContainerTools())('podman and buildah', () => {
  let tools: ContainerTools;

  beforeAll(async () => {
    tools = containerTools();
    const login = await tools.podman(
      ['login', '--tls-verify=false', '--username', ADMIN.username, '--password-stdin', host],
      ADMIN.password,
    );
    expect(login.stdout).toContain('Login Succeeded');
  });

  afterAll(() => tools?.dispose());

  it('a name without a namespace: podman pull and push print "name unknown" with the reason', async () => {
    const reason = '"app" has no namespace: every Berth repository is <namespace>/<repository>';
    const pull = await tools.podman(['pull', '--tls-verify=false', `${host}/app:1`]);
    expect(pull.code).not.toBe(0);
    // Error: initializing source docker://<host>/app:1: reading manifest 1 in <host>/app:
    //   name unknown: "app" has no namespace: …
    expect(pull.stderr).toContain(`reading manifest 1 in ${host}/app: name unknown: ${reason}`);

    await tools.buildImage(`${host}/app:1`, 'no namespace');
    const push = await tools.podman(['push', '--tls-verify=false', `${host}/app:1`]);
    expect(push.code).not.toBe(0);
    // Error: writing blob: initiating layer upload to /v2/app/blobs/uploads/ in <host>:
    //   name unknown: "app" has no namespace: …
    expect(push.stderr).toContain(`name unknown: ${reason}`);
    const buildahPush = await tools.buildah(['push', '--tls-verify=false', `${host}/app:1`]);
    expect(buildahPush.code).not.toBe(0);
    expect(buildahPush.stderr).toContain(`name unknown: ${reason}`);
  });

  it('over the quota: podman push prints what is used, the quota and what the upload needs', async () => {
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'tight', region: 'local', quotaBytes: 1000 })
      .expect(201);
    // Random, so the gzip-compressed layer stays over the quota.
    await tools.buildImage(`${host}/tight/app:1`, randomBytes(4000).toString('base64'));
    const push = await tools.podman(['push', '--tls-verify=false', `${host}/tight/app:1`]);
    expect(push.code).not.toBe(0);
    // Error: writing blob: … denied: namespace "tight" uses 0 B of its 1000 B quota; this
    //   upload needs 4.5 KiB. Delete images or ask an administrator to raise the quota
    expect(push.stderr).toMatch(
      /denied: namespace "tight" uses 0 B of its 1000 B quota; this upload needs [\d.]+ KiB\. Delete images/,
    );
  });

  it('an API key logs in with any username, and pushes as its owner', async () => {
    const login = await tools.podman(
      ['login', '--tls-verify=false', '--username', 'ci-robot', '--password-stdin', host],
      server.adminKey,
    );
    expect(login.stdout).toContain('Login Succeeded');
    await tools.buildImage(`${host}/clients/keyed:1`, 'pushed with a key');
    const push = await tools.podman(['push', '--tls-verify=false', `${host}/clients/keyed:1`]);
    expect(push.code, push.stderr).toBe(0);
    const [entry] = (await server.services.audit.list({ action: 'registry.login' }, { limit: 1 }))
      .items;
    expect(entry).toMatchObject({
      actor: expect.stringMatching(/^key:admin\//),
      details: expect.objectContaining({ username: 'ci-robot' }),
    });
  });

  it('a temporary password: podman pull --creds prints why; podman and buildah login cannot', async () => {
    const temporary = 'Provisional-Secret-41';
    await server.services.identity.createUser(
      { username: 'tess', password: temporary, admin: false },
      await adminPrincipal(),
    );
    const reason = 'this password is temporary: sign in to the console and change it first';
    const pull = await tools.podman([
      'pull',
      '--tls-verify=false',
      '--creds',
      `tess:${temporary}`,
      `${host}/clients/keyed:1`,
    ]);
    expect(pull.code).not.toBe(0);
    // The token endpoint's 401 carries the reason in `details`, which containers/image prints.
    expect(pull.stderr).toContain(
      `unable to retrieve auth token: invalid username/password: unauthorized: ${reason}`,
    );
    // containers/common's login turns every 401 from the token endpoint into this fixed text
    // and logs the registry's reason only at debug level; no answer of Berth's can change that
    // (any other status is printed as a bare "invalid status code from registry 403").
    for (const run of [tools.podman, tools.buildah]) {
      const login = await run(
        ['login', '--tls-verify=false', '--username', 'tess', '--password-stdin', host],
        temporary,
      );
      expect(login.code).not.toBe(0);
      expect(login.stderr).toContain(`logging into "${host}": invalid username/password`);
    }
    const debug = await tools.podman(
      [
        '--log-level=debug',
        'login',
        '--tls-verify=false',
        '--username',
        'tess',
        '--password-stdin',
        host,
      ],
      temporary,
    );
    expect(debug.stderr).toContain(reason);
  });

  it('podman search finds what the account may see, by falling back from /v1/search to the catalog', async () => {
    await tools.buildImage(`${host}/clients/searchable-app:1`, 'search me');
    const push = await tools.podman([
      'push',
      '--tls-verify=false',
      `${host}/clients/searchable-app:1`,
    ]);
    expect(push.code, push.stderr).toBe(0);
    requests.length = 0;
    const search = await tools.podman(['search', '--tls-verify=false', `${host}/searchable`]);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout.split('\n').map((line) => line.trim())).toContain(
      `${host}/clients/searchable-app`,
    );
    // podman sends no credentials to /v1/search; the 401 makes it retry on the catalog with them.
    expect(requests).toContainEqual(
      expect.objectContaining({ url: '/v1/search?n=25&q=searchable', status: 401 }),
    );
    expect(requests.at(-1)).toEqual({ method: 'GET', url: '/v2/_catalog', status: 200 });
    const none = await tools.podman(['search', '--tls-verify=false', `${host}/no-such-thing`]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).not.toContain(host);
  });

  it.skipIf(!hasSkopeo())(
    'podman push of an image pulled from another repository mounts its layers',
    async () => {
      // skopeo 1.9.3 `copy` between two repositories does not try a mount (it HEADs the
      // destination and uploads); podman, which remembers where it pulled layers from, does.
      const writer = await createTestUser(server, 'wanda', { roles: { clients: 'writer' } });
      const layout = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-mount-'));
      const own = containerTools();
      try {
        const image = randomImage({ seed: 'mount', layers: 2, layerBytes: 4096 });
        writeLayout(layout, [{ manifest: image, ref: 'image' }]);
        await pushLayout(layout, 'image', `${host}/clients/source:1`, {
          creds: `${writer.username}:${writer.password}`,
        });
        const login = await own.podman(
          ['login', '--tls-verify=false', '--username', writer.username, '--password-stdin', host],
          writer.password,
        );
        expect(login.code, login.stderr).toBe(0);
        const pull = await own.podman(['pull', '--tls-verify=false', `${host}/clients/source:1`]);
        expect(pull.code, pull.stderr).toBe(0);
        await own.podman(['tag', `${host}/clients/source:1`, `${host}/clients/mounted:1`]);
        requests.length = 0;
        const push = await own.podman(['push', '--tls-verify=false', `${host}/clients/mounted:1`]);
        expect(push.code, push.stderr).toBe(0);
        const mounts = requests.filter(
          (r) =>
            r.method === 'POST' && /\/v2\/clients\/mounted\/blobs\/uploads\/\?.*mount=/.test(r.url),
        );
        expect(mounts.map((r) => r.status)).toEqual([201, 201]);
        for (const layer of image.layers) {
          expect(mounts.some((r) => r.url.includes(encodeURIComponent(layer.digest)))).toBe(true);
        }
      } finally {
        own.dispose();
        fs.rmSync(layout, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!hasSkopeo())('a name without a namespace: skopeo prints the same', async () => {
    const inspect = skopeo([
      'inspect',
      '--tls-verify=false',
      '--creds',
      `${ADMIN.username}:${ADMIN.password}`,
      `docker://${host}/app:1`,
    ]);
    await expect(inspect).rejects.toThrow(
      // skopeo logs through logrus, which escapes the quotes of the message.
      /reading manifest 1 in [\d.:]+\/app: name unknown: \\"app\\" has no namespace/,
    );
  });
});

describe.skipIf(!hasDockerd())('docker', () => {
  let docker: Docker;

  beforeAll(async () => {
    docker = await startDockerd();
    const login = await docker.run(
      ['login', '--username', ADMIN.username, '--password-stdin', host],
      ADMIN.password,
    );
    expect(login.stdout).toContain('Login Succeeded');
  }, 90_000);

  afterAll(async () => {
    await docker?.stop();
  });

  it('docker search prints the repositories the account may see', async () => {
    await docker.importImage(`${host}/clients/findable-tool:1`, 'find me');
    const push = await docker.run(['push', `${host}/clients/findable-tool:1`]);
    expect(push.code, push.stderr).toBe(0);
    requests.length = 0;
    const search = await docker.run(['search', `${host}/findable`]);
    expect(search.code, search.stderr).toBe(0);
    // NAME                   DESCRIPTION   STARS     OFFICIAL   AUTOMATED
    // clients/findable-tool                 0
    expect(search.stdout).toMatch(/^clients\/findable-tool\s+0\s*$/m);
    // Docker pings /v1/_ping first (any answer will do), then sends its login's credentials.
    expect(requests.at(-1)).toEqual({
      method: 'GET',
      url: '/v1/search?q=findable&n=25',
      status: 200,
    });
  }, 120_000);

  it('a temporary password: docker login prints why', async () => {
    const temporary = 'Provisional-Secret-42';
    await server.services.identity.createUser(
      { username: 'toby', password: temporary, admin: false },
      await adminPrincipal(),
    );
    const login = await docker.run(
      ['login', '--username', 'toby', '--password-stdin', host],
      temporary,
    );
    expect(login.code).not.toBe(0);
    expect(login.stderr).toContain(
      'unauthorized: this password is temporary: sign in to the console and change it first',
    );
    // The other credentials stored by the login before stay in use.
    const again = await docker.run(
      ['login', '--username', ADMIN.username, '--password-stdin', host],
      ADMIN.password,
    );
    expect(again.stdout).toContain('Login Succeeded');
  });

  it('a name without a namespace: docker pull and push fail at once with the reason', async () => {
    const reason = '"app" has no namespace: every Berth repository is <namespace>/<repository>';
    // A 400 here had Docker retry the push for about 50 s and print only "400 Bad Request".
    const started = Date.now();
    const pull = await docker.run(['pull', `${host}/app:1`]);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toContain(`repository ${host}/app not found: name unknown: ${reason}`);
    await docker.importImage(`${host}/app:1`, 'no namespace');
    const push = await docker.run(['push', `${host}/app:1`]);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain(`name unknown: ${reason}`);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);
});
