import type request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type ProjectChildKind } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { seedSmallRegistry } from '../testing/fixtures.js';
import { TEST_REGISTRY, createProject, fillProject } from '../testing/projects.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = '2026-11-01T12:00:00.000Z';
let server: TestServer;

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  server = await startTestServer({ env });
  return server;
}
afterEach(async () => {
  await server?.stop();
});

const api = () => server.api();
const children = (id: string, kind: ProjectChildKind) => apiPaths.projectChildren(id, kind);
const child = (id: string, kind: ProjectChildKind, name: string) =>
  apiPaths.projectChild(id, kind, name);

async function audit(prefix = 'project.') {
  const rows = await server.store.db
    .selectFrom('audit_events')
    .select(['action', 'actor', 'target', 'details'])
    .where('action', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, details: r.details ? JSON.parse(r.details) : null }));
}

async function list(region: string, status: 'active' | 'deleted' = 'active') {
  const res = await api().get(apiPaths.projects()).query({ region, status }).expect(200);
  return res.body as {
    items: { id: string; name: string; deletedAt: string | null; purgeAt: string | null }[];
    quota: { region: string; limit: number; used: number; deleted: number };
  };
}

/** Everything a project shows through its child routes. */
async function contents(id: string) {
  const out: Record<string, unknown> = {};
  for (const kind of ['apps', 'jobs', 'secrets', 'config-maps'] as const) {
    out[kind] = (await api().get(children(id, kind)).expect(200)).body;
  }
  return out;
}

async function childRows(projectId: string): Promise<number> {
  let n = 0;
  for (const table of ['project_workloads', 'project_secrets', 'project_config_maps'] as const) {
    const rows = await server.store.db
      .selectFrom(table)
      .select('name')
      .where('project_id', '=', projectId)
      .execute();
    n += rows.length;
  }
  return n;
}

describe('projects', () => {
  it('creates, lists and reads projects per region with the quota', async () => {
    await start();
    const shop = await createProject(server, 'shop');
    expect(shop).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'shop',
      region: 'local',
      status: 'active',
      role: 'manager',
      createdAt: T0,
      createdBy: expect.stringMatching(/^key:admin\/tests-/),
      deletedAt: null,
      purgeAt: null,
      counts: { apps: 0, jobs: 0, secrets: 0, configMaps: 0 },
    });
    await createProject(server, 'analytics', 'eu-west');
    // The same name in another region is another project.
    await createProject(server, 'shop', 'eu-west');
    const local = await list('local');
    expect(local.items.map((p) => p.name)).toEqual(['shop']);
    expect(local.quota).toEqual({ region: 'local', limit: 20, used: 1, deleted: 0 });
    expect((await list('eu-west')).items.map((p) => p.name)).toEqual(['analytics', 'shop']);
    expect((await api().get(apiPaths.project(shop.id)).expect(200)).body).toEqual(shop);
    expect(await audit()).toEqual([
      {
        action: 'project.create',
        actor: expect.stringMatching(/^key:admin\/tests-/),
        target: shop.id,
        details: { name: 'shop', region: 'local' },
      },
      expect.objectContaining({ action: 'project.create' }),
      expect.objectContaining({ action: 'project.create' }),
    ]);
  });

  it('keeps apps, jobs, secrets and config maps, and shows where each image pointer leads', async () => {
    await start();
    const reg = await seedSmallRegistry(server);
    // v1 (tag 1.0) goes to the trash before anything points at it.
    await api()
      .delete(apiPaths.image('team-alpha', 'web/app', reg.v1.digest))
      .expect(200);
    const { id } = await createProject(server, 'shop');
    const pointers: [string, string, string, string | null][] = [
      ['current', `${TEST_REGISTRY}/team-alpha/web/app:2.0`, 'present', reg.v2.digest],
      ['previous', `${TEST_REGISTRY}/team-alpha/web/app:1.0`, 'trashed', reg.v1.digest],
      ['typo', `${TEST_REGISTRY}/team-alpha/web/app:9.9`, 'missing', null],
      ['nowhere', `${TEST_REGISTRY}/team-gamma/web:1`, 'missing', null],
      ['pinned', `${TEST_REGISTRY}/team-alpha/web/app@${reg.v2.digest}`, 'present', reg.v2.digest],
      [
        'pinned-old',
        `${TEST_REGISTRY}/team-alpha/web/app@${reg.v1.digest}`,
        'trashed',
        reg.v1.digest,
      ],
      ['upper-host', `BERTH.TEST:5000/team-alpha/tools`, 'missing', null],
      ['multi-arch', `${TEST_REGISTRY}/team-alpha/tools:stable`, 'present', reg.index.digest],
      ['elsewhere', 'registry.example.com/team/app:1', 'external', null],
    ];
    for (const [name, image] of pointers) {
      const res = await api().post(children(id, 'apps')).send({ name, image }).expect(201);
      expect(res.body).toMatchObject({
        name,
        command: [],
        env: {},
        cpu: 0.5,
        memoryMiB: 1024,
        createdAt: T0,
        updatedAt: T0,
      });
    }
    const apps = (await api().get(children(id, 'apps')).expect(200)).body.items as {
      name: string;
      image: { state: string; resolvedDigest: string | null; pointer: string; tag: string | null };
    }[];
    expect(apps.map((a) => a.name)).toEqual(pointers.map((p) => p[0]).sort());
    for (const [name, , state, digest] of pointers) {
      const a = apps.find((x) => x.name === name);
      expect(a?.image, name).toMatchObject({ state, resolvedDigest: digest });
    }
    // A pointer without tag or digest means :latest, and is stored that way.
    expect(apps.find((a) => a.name === 'upper-host')?.image).toMatchObject({
      pointer: 'BERTH.TEST:5000/team-alpha/tools:latest',
      tag: 'latest',
    });

    // Restoring v1 from the trash makes the pointers to it present again.
    await api()
      .post(apiPaths.trashRestore('team-alpha'))
      .send({ repository: 'web/app', digest: reg.v1.digest })
      .expect(200);
    const previous = await api()
      .get(child(id, 'apps', 'previous'))
      .expect(200);
    expect(previous.body.image).toMatchObject({ state: 'present', resolvedDigest: reg.v1.digest });

    // PUT replaces everything but the name.
    const replaced = await api()
      .put(child(id, 'apps', 'current'))
      .send({
        image: 'registry.example.com/team/app:2',
        command: ['serve'],
        cpu: 2,
        memoryMiB: 2048,
      })
      .expect(200);
    expect(replaced.body).toMatchObject({
      name: 'current',
      command: ['serve'],
      env: {},
      cpu: 2,
      memoryMiB: 2048,
      image: { state: 'external', registry: 'registry.example.com', namespace: 'team' },
    });
    await api()
      .delete(child(id, 'apps', 'typo'))
      .expect(204)
      .expect('');
    const gone = await api()
      .get(child(id, 'apps', 'typo'))
      .expect(404);
    expect(gone.body.error.code).toBe('APP_UNKNOWN');

    // Jobs and job templates share one list and one name space.
    await api()
      .post(children(id, 'jobs'))
      .send({
        name: 'nightly',
        kind: 'template',
        image: `${TEST_REGISTRY}/team-beta/db:15`,
        command: ['pg_dump'],
        env: { PGHOST: 'db' },
      })
      .expect(201);
    const dup = await api()
      .post(children(id, 'jobs'))
      .send({ name: 'nightly', image: `${TEST_REGISTRY}/team-beta/db:15` })
      .expect(409);
    expect(dup.body.error.code).toBe('JOB_EXISTS');
    const asJob = await api()
      .put(child(id, 'jobs', 'nightly'))
      .send({ kind: 'job', image: `${TEST_REGISTRY}/team-beta/db@${reg.beta.digest}` })
      .expect(200);
    expect(asJob.body).toMatchObject({
      kind: 'job',
      command: [],
      env: {},
      image: { state: 'present', resolvedDigest: reg.beta.digest },
    });
    // An app may share a job's name: they are different kinds.
    await api()
      .post(children(id, 'apps'))
      .send({ name: 'nightly', image: 'registry.example.com/a/b' })
      .expect(201);

    const secret = await api()
      .post(children(id, 'secrets'))
      .send({ name: 'db', type: 'generic', data: { USER: 'app', PASSWORD: 'hunter2' } })
      .expect(201);
    expect(secret.body).toEqual({
      name: 'db',
      type: 'generic',
      keys: ['PASSWORD', 'USER'],
      server: null,
      username: null,
      createdAt: T0,
      updatedAt: T0,
    });
    server.clock.advance(MINUTE);
    const updated = await api()
      .put(child(id, 'secrets', 'db'))
      .send({ type: 'generic', data: { URL: 'postgres://x' } })
      .expect(200);
    expect(updated.body).toMatchObject({ keys: ['URL'], createdAt: T0 });
    expect(updated.body.updatedAt).not.toBe(T0);
    const cm = await api()
      .post(children(id, 'config-maps'))
      .send({ name: 'settings', data: { 'app.yaml': 'a: 1' } })
      .expect(201);
    expect(cm.body).toMatchObject({ name: 'settings', data: { 'app.yaml': 'a: 1' } });
    await api()
      .put(child(id, 'config-maps', 'settings'))
      .send({ data: {} })
      .expect(200);
    expect(
      (
        await api()
          .get(child(id, 'config-maps', 'settings'))
          .expect(200)
      ).body.data,
    ).toEqual({});
    await api()
      .delete(child(id, 'config-maps', 'settings'))
      .expect(204);
    await api()
      .delete(child(id, 'secrets', 'db'))
      .expect(204);

    const project = await api().get(apiPaths.project(id)).expect(200);
    expect(project.body.counts).toEqual({ apps: 9, jobs: 1, secrets: 0, configMaps: 0 });
    const actions = (await audit()).map((a) => a.action);
    expect(actions.filter((a) => a.startsWith('project.app.'))).toEqual([
      ...pointers.map(() => 'project.app.create'),
      'project.app.update',
      'project.app.delete',
      'project.app.create',
    ]);
    expect(actions.filter((a) => !a.startsWith('project.app.'))).toEqual([
      'project.create',
      'project.job.create',
      'project.job.update',
      'project.secret.create',
      'project.secret.update',
      'project.config-map.create',
      'project.config-map.update',
      'project.config-map.delete',
      'project.secret.delete',
    ]);
  });
});

describe('soft delete and restore', () => {
  it('moves a project to Deleted projects, keeps it unchanged, and restores everything', async () => {
    await start();
    const shop = await createProject(server, 'shop');
    const other = await createProject(server, 'other');
    const secrets = await fillProject(server, shop.id);
    const before = await contents(shop.id);

    server.clock.advance(MINUTE);
    const deleted = await api().delete(apiPaths.project(shop.id)).expect(200);
    const deletedAt = new Date(Date.parse(T0) + MINUTE).toISOString();
    const purgeAt = new Date(Date.parse(T0) + MINUTE + 7 * DAY).toISOString();
    expect(deleted.body).toMatchObject({
      permanent: false,
      project: { id: shop.id, status: 'deleted', deletedAt, purgeAt },
    });
    expect((await list('local')).items.map((p) => p.name)).toEqual(['other']);
    const bin = await list('local', 'deleted');
    expect(bin.items).toEqual([expect.objectContaining({ id: shop.id, deletedAt, purgeAt })]);
    expect(bin.quota).toEqual({ region: 'local', limit: 20, used: 2, deleted: 1 });

    // Readable while deleted, but nothing changes.
    expect(await contents(shop.id)).toEqual(before);
    const dump = await server.dump();
    const refused: [string, request.Test][] = [
      ['new app', api().post(children(shop.id, 'apps')).send({ name: 'x', image: 'a.io/b/c' })],
      [
        'replace job',
        api()
          .put(child(shop.id, 'jobs', 'migrate'))
          .send({ image: 'a.io/b/c' }),
      ],
      [
        'replace secret',
        api()
          .put(child(shop.id, 'secrets', 'api'))
          .send({ type: 'generic', data: { A: 'b' } }),
      ],
      ['delete config map', api().delete(child(shop.id, 'config-maps', 'settings'))],
      ['delete app', api().delete(child(shop.id, 'apps', 'web'))],
    ];
    for (const [what, req] of refused) {
      const res = await req;
      expect(res.status, what).toBe(409);
      expect(res.body.error.code, what).toBe('PROJECT_DELETED');
    }
    const again = await api().delete(apiPaths.project(shop.id)).expect(409);
    expect(again.body.error.code).toBe('PROJECT_ALREADY_DELETED');
    expect(await server.dump()).toBe(dump);

    server.clock.advance(6 * DAY);
    const restored = await api().post(apiPaths.projectRestore(shop.id)).expect(200);
    expect(restored.body).toMatchObject({ status: 'active', deletedAt: null, purgeAt: null });
    expect(await contents(shop.id)).toEqual(before);
    expect((await list('local')).items.map((p) => p.name)).toEqual(['other', 'shop']);
    expect((await list('local', 'deleted')).items).toEqual([]);
    expect(await server.services.projects.secretValues(shop.id, 'api')).toEqual({
      type: 'generic',
      data: { API_TOKEN: secrets.apiToken },
    });
    expect(await server.services.projects.secretValues(shop.id, 'pull')).toEqual({
      type: 'registry',
      server: TEST_REGISTRY,
      username: 'robot',
      password: secrets.password,
    });
    const twice = await api().post(apiPaths.projectRestore(shop.id)).expect(409);
    expect(twice.body.error.code).toBe('PROJECT_NOT_DELETED');
    expect(other.status).toBe('active');
    const lifecycle = (await audit()).filter((a) =>
      ['project.delete', 'project.restore'].includes(a.action),
    );
    expect(lifecycle).toEqual([
      expect.objectContaining({
        action: 'project.delete',
        target: shop.id,
        details: { name: 'shop', region: 'local', permanent: false, purgeAt: Date.parse(purgeAt) },
      }),
      expect.objectContaining({ action: 'project.restore', target: shop.id }),
    ]);
  });

  it('purges a deleted project after 7 days with everything it held, exactly once', async () => {
    await start({ BERTH_SCHEDULER_INTERVAL_MS: '50' });
    const shop = await createProject(server, 'shop');
    const kept = await createProject(server, 'kept');
    await fillProject(server, shop.id);
    await fillProject(server, kept.id);
    await api().delete(apiPaths.project(shop.id)).expect(200);

    // A minute before the end of its 7 days it is still there, through several sweeps.
    server.clock.advance(7 * DAY - MINUTE);
    await new Promise((r) => setTimeout(r, 400));
    await api().get(apiPaths.project(shop.id)).expect(200);
    expect(await childRows(shop.id)).toBe(6);
    const late = await api().post(apiPaths.projectRestore(shop.id)).expect(200);
    expect(late.body.status).toBe('active');
    await api().delete(apiPaths.project(shop.id)).expect(200);

    server.clock.advance(7 * DAY);
    const started = Date.now();
    while ((await api().get(apiPaths.project(shop.id))).status !== 404) {
      if (Date.now() - started > 10_000) throw new Error('the project was not purged');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await childRows(shop.id)).toBe(0);
    expect((await list('local', 'deleted')).items).toEqual([]);
    expect((await list('local')).quota).toMatchObject({ used: 1, deleted: 0 });
    const purges = (await audit()).filter((a) => a.action === 'project.purge');
    expect(purges).toEqual([
      {
        action: 'project.purge',
        actor: 'system:project-sweeper',
        target: shop.id,
        details: expect.objectContaining({ name: 'shop', apps: 1, jobs: 2, secrets: 2 }),
      },
    ]);
    // The other project is untouched.
    expect(await childRows(kept.id)).toBe(6);
    await api().get(apiPaths.project(kept.id)).expect(200);
  });

  it('refuses a restore once the 7 days are over, before the sweeper gets to it', async () => {
    await start();
    const shop = await createProject(server, 'shop');
    await api().delete(apiPaths.project(shop.id)).expect(200);
    server.clock.advance(7 * DAY);
    const dump = await server.dump();
    const res = await api().post(apiPaths.projectRestore(shop.id)).expect(409);
    expect(res.body.error.code).toBe('PROJECT_RESTORE_EXPIRED');
    expect(await server.dump()).toBe(dump);
  });
});

describe('hard delete', () => {
  it('removes an active or a soft-deleted project at once, checking a typed confirmation', async () => {
    await start();
    const a = await createProject(server, 'alpha');
    const b = await createProject(server, 'beta');
    const c = await createProject(server, 'gamma');
    await fillProject(server, a.id);
    await fillProject(server, b.id);

    const dump = await server.dump();
    const wrong = await api()
      .delete(apiPaths.project(a.id))
      .query({ hard: 'true', confirm: 'alpha-typo' })
      .expect(400);
    expect(wrong.body.error).toMatchObject({
      code: 'CONFIRMATION_MISMATCH',
      details: { field: 'confirm' },
    });
    expect(wrong.body.error.message).toContain('"alpha"');
    expect(await server.dump()).toBe(dump);

    const res = await api()
      .delete(apiPaths.project(a.id))
      .query({ hard: 'true', confirm: 'alpha' })
      .expect(200);
    expect(res.body).toMatchObject({
      permanent: true,
      project: { id: a.id, name: 'alpha', counts: { apps: 1, jobs: 2, secrets: 2, configMaps: 1 } },
    });
    const unknown = await api().get(apiPaths.project(a.id)).expect(404);
    expect(unknown.body.error.code).toBe('PROJECT_UNKNOWN');
    expect(await childRows(a.id)).toBe(0);

    // Soft-deleted first, then for good: it leaves Deleted projects too.
    await api().delete(apiPaths.project(b.id)).expect(200);
    await api().delete(apiPaths.project(b.id)).query({ force: 'true' }).expect(200);
    expect((await list('local', 'deleted')).items).toEqual([]);
    expect(await childRows(b.id)).toBe(0);
    // hard=false with force=true is still permanent (force is the API/CLI spelling).
    await api().delete(apiPaths.project(c.id)).query({ hard: 'false', force: 'true' }).expect(200);
    expect((await list('local')).quota).toMatchObject({ used: 0, deleted: 0 });
    const deletes = (await audit()).filter((e) => e.action === 'project.delete');
    expect(deletes.map((e) => [e.target, e.details.permanent])).toEqual([
      [a.id, true],
      [b.id, false],
      [b.id, true],
      [c.id, true],
    ]);
    await api().delete(apiPaths.project(a.id)).query({ hard: 'true' }).expect(404);
  });

  it('previews what deleting a project removes', async () => {
    await start();
    const reg = await seedSmallRegistry(server);
    const { id } = await createProject(server, 'shop');
    await fillProject(server, id);
    await api()
      .post(children(id, 'apps'))
      .send({ name: 'api', image: `${TEST_REGISTRY}/team-alpha/web/app@${reg.v2.digest}` })
      .expect(201);
    await api()
      .post(children(id, 'apps'))
      .send({ name: 'gone', image: `${TEST_REGISTRY}/team-alpha/web/app:9.9` })
      .expect(201);
    const dump = await server.dump();
    const res = await api().get(apiPaths.projectDeletionPreview(id)).expect(200);
    expect(res.body).toEqual({
      project: expect.objectContaining({
        id,
        counts: { apps: 3, jobs: 2, secrets: 2, configMaps: 1 },
      }),
      apps: ['api', 'gone', 'web'],
      jobs: [
        { name: 'migrate', kind: 'job' },
        { name: 'report', kind: 'template' },
      ],
      secrets: ['api', 'pull'],
      configMaps: ['settings'],
      // Local images that exist here; the missing tag and the external job image are not listed.
      images: [
        `${TEST_REGISTRY}/team-alpha/tools:stable`,
        `${TEST_REGISTRY}/team-alpha/web/app:2.0`,
        `${TEST_REGISTRY}/team-alpha/web/app@${reg.v2.digest}`,
      ],
    });
    expect(await server.dump()).toBe(dump);
  });
});

describe('region limit and names', () => {
  it('counts soft-deleted projects and names them when the region is full', async () => {
    await start({ BERTH_PROJECT_LIMIT: '3' });
    await createProject(server, 'one');
    const two = await createProject(server, 'two');
    await createProject(server, 'three');
    await api().delete(apiPaths.project(two.id)).expect(200);
    expect((await list('local')).quota).toEqual({
      region: 'local',
      limit: 3,
      used: 3,
      deleted: 1,
    });
    const dump = await server.dump();
    const full = await api()
      .post(apiPaths.projects())
      .send({ name: 'four', region: 'local' })
      .expect(409);
    expect(full.body.error.code).toBe('PROJECT_LIMIT');
    expect(full.body.error.message).toContain('3 of 3 projects');
    expect(full.body.error.message).toContain('1 soft-deleted project ("two")');
    expect(full.body.error.message).toContain('permanently');
    expect(await server.dump()).toBe(dump);
    // Another region has its own limit.
    await createProject(server, 'four', 'eu-west');

    await api().delete(apiPaths.project(two.id)).query({ hard: 'true' }).expect(200);
    await createProject(server, 'four');
    expect((await list('local')).quota).toEqual({
      region: 'local',
      limit: 3,
      used: 3,
      deleted: 0,
    });
  });

  it('keeps a deleted project’s name taken, so its restore never conflicts', async () => {
    await start();
    const shop = await createProject(server, 'shop');
    await api().delete(apiPaths.project(shop.id)).expect(200);
    const dump = await server.dump();
    const taken = await api()
      .post(apiPaths.projects())
      .send({ name: 'shop', region: 'local' })
      .expect(409);
    expect(taken.body.error.code).toBe('PROJECT_EXISTS');
    expect(taken.body.error.message).toContain('Deleted projects');
    expect(await server.dump()).toBe(dump);
    await api().post(apiPaths.projectRestore(shop.id)).expect(200);
    const exists = await api()
      .post(apiPaths.projects())
      .send({ name: 'shop', region: 'local' })
      .expect(409);
    expect(exists.body.error.message).toBe('project "shop" already exists in region local');
  });

  it('holds at most 200 of each kind per project', async () => {
    await start();
    const { id } = await createProject(server, 'big');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api()
          .post(children(id, 'config-maps'))
          .send({ name: `cm-${i}`, data: {} })
          .expect(201),
      ),
    );
    const dump = await server.dump();
    const res = await api()
      .post(children(id, 'config-maps'))
      .send({ name: 'one-more', data: {} })
      .expect(409);
    expect(res.body.error).toMatchObject({
      code: 'PROJECT_CHILD_LIMIT',
      message:
        'project "big" already has 200 config maps, the most a project holds; delete one to add another',
    });
    expect(await server.dump()).toBe(dump);
    // Other kinds are counted on their own.
    await api().post(children(id, 'apps')).send({ name: 'web', image: 'a.io/b/c' }).expect(201);
  });
});

describe('bad requests', () => {
  it('refuses bad input on every endpoint with a clear error and changes nothing', async () => {
    await start();
    const { id } = await createProject(server, 'shop');
    await fillProject(server, id);
    const deleted = await createProject(server, 'old');
    await api().delete(apiPaths.project(deleted.id)).expect(200);
    const nobody = '0123456789abcdef';
    const image = 'registry.example.com/team/app:1';
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`K${i}`, 'v']));
    type Case = [string, 'get' | 'post' | 'put' | 'delete', string, unknown, number, string];
    const cases: Case[] = [
      // Projects
      [
        'bad name',
        'post',
        apiPaths.projects(),
        { name: 'Shop_1', region: 'local' },
        400,
        'INVALID_PROJECT_NAME',
      ],
      [
        'empty name',
        'post',
        apiPaths.projects(),
        { name: '', region: 'local' },
        400,
        'INVALID_PROJECT_NAME',
      ],
      [
        'long name',
        'post',
        apiPaths.projects(),
        { name: 'a'.repeat(64), region: 'local' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'unknown region',
        'post',
        apiPaths.projects(),
        { name: 'x', region: 'mars' },
        400,
        'REGION_UNKNOWN',
      ],
      ['no region', 'post', apiPaths.projects(), { name: 'x' }, 400, 'INVALID_REQUEST'],
      [
        'name type',
        'post',
        apiPaths.projects(),
        { name: 5, region: 'local' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'unknown field',
        'post',
        apiPaths.projects(),
        { name: 'x', region: 'local', quota: 3 },
        400,
        'INVALID_REQUEST',
      ],
      ['array body', 'post', apiPaths.projects(), [1], 400, 'INVALID_REQUEST'],
      ['list without region', 'get', apiPaths.projects(), undefined, 400, 'INVALID_REQUEST'],
      [
        'list unknown region',
        'get',
        `${apiPaths.projects()}?region=mars`,
        undefined,
        400,
        'REGION_UNKNOWN',
      ],
      [
        'list bad status',
        'get',
        `${apiPaths.projects()}?region=local&status=gone`,
        undefined,
        400,
        'INVALID_REQUEST',
      ],
      ['unknown id', 'get', apiPaths.project(nobody), undefined, 404, 'PROJECT_UNKNOWN'],
      ['malformed id', 'get', apiPaths.project('../etc'), undefined, 404, 'PROJECT_UNKNOWN'],
      [
        'preview unknown',
        'get',
        apiPaths.projectDeletionPreview(nobody),
        undefined,
        404,
        'PROJECT_UNKNOWN',
      ],
      ['delete unknown', 'delete', apiPaths.project(nobody), undefined, 404, 'PROJECT_UNKNOWN'],
      [
        'delete bad hard',
        'delete',
        `${apiPaths.project(id)}?hard=yes`,
        undefined,
        400,
        'INVALID_REQUEST',
      ],
      [
        'delete wrong confirm',
        'delete',
        `${apiPaths.project(id)}?confirm=shoop`,
        undefined,
        400,
        'CONFIRMATION_MISMATCH',
      ],
      [
        'restore unknown',
        'post',
        apiPaths.projectRestore(nobody),
        undefined,
        404,
        'PROJECT_UNKNOWN',
      ],
      [
        'restore active',
        'post',
        apiPaths.projectRestore(id),
        undefined,
        409,
        'PROJECT_NOT_DELETED',
      ],
      [
        'delete deleted',
        'delete',
        apiPaths.project(deleted.id),
        undefined,
        409,
        'PROJECT_ALREADY_DELETED',
      ],
      // Apps
      [
        'app bad name',
        'post',
        children(id, 'apps'),
        { name: 'Web', image },
        400,
        'INVALID_APP_NAME',
      ],
      ['app no image', 'post', children(id, 'apps'), { name: 'x' }, 400, 'INVALID_REQUEST'],
      [
        'app no registry',
        'post',
        children(id, 'apps'),
        { name: 'x', image: 'team/app:1' },
        400,
        'INVALID_IMAGE_POINTER',
      ],
      [
        'app upper ns',
        'post',
        children(id, 'apps'),
        { name: 'x', image: 'a.io/Team/app' },
        400,
        'INVALID_IMAGE_POINTER',
      ],
      [
        'app bad digest',
        'post',
        children(id, 'apps'),
        { name: 'x', image: 'a.io/t/app@sha256:xyz' },
        400,
        'INVALID_IMAGE_POINTER',
      ],
      [
        'app cpu step',
        'post',
        children(id, 'apps'),
        { name: 'x', image, cpu: 0.1 },
        400,
        'INVALID_CPU',
      ],
      [
        'app cpu big',
        'post',
        children(id, 'apps'),
        { name: 'x', image, cpu: 64 },
        400,
        'INVALID_CPU',
      ],
      [
        'app cpu type',
        'post',
        children(id, 'apps'),
        { name: 'x', image, cpu: '1' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'app memory small',
        'post',
        children(id, 'apps'),
        { name: 'x', image, memoryMiB: 100 },
        400,
        'INVALID_MEMORY',
      ],
      [
        'app memory fraction',
        'post',
        children(id, 'apps'),
        { name: 'x', image, memoryMiB: 512.5 },
        400,
        'INVALID_MEMORY',
      ],
      [
        'app env name',
        'post',
        children(id, 'apps'),
        { name: 'x', image, env: { 'BAD-NAME': '1' } },
        400,
        'INVALID_ENV_NAME',
      ],
      [
        'app env value type',
        'post',
        children(id, 'apps'),
        { name: 'x', image, env: { A: 1 } },
        400,
        'INVALID_REQUEST',
      ],
      [
        'app env too many',
        'post',
        children(id, 'apps'),
        { name: 'x', image, env: many },
        400,
        'INVALID_REQUEST',
      ],
      [
        'app command too long',
        'post',
        children(id, 'apps'),
        { name: 'x', image, command: Array(65).fill('a') },
        400,
        'INVALID_REQUEST',
      ],
      [
        'app misspelt field',
        'post',
        children(id, 'apps'),
        { name: 'x', image, memoryMib: 512 },
        400,
        'INVALID_REQUEST',
      ],
      ['app exists', 'post', children(id, 'apps'), { name: 'web', image }, 409, 'APP_EXISTS'],
      ['app unknown', 'get', child(id, 'apps', 'nope'), undefined, 404, 'APP_UNKNOWN'],
      ['app url name', 'get', child(id, 'apps', 'Bad Name'), undefined, 400, 'INVALID_APP_NAME'],
      ['app replace unknown', 'put', child(id, 'apps', 'nope'), { image }, 404, 'APP_UNKNOWN'],
      [
        'app replace with name',
        'put',
        child(id, 'apps', 'web'),
        { name: 'web2', image },
        400,
        'INVALID_REQUEST',
      ],
      ['app delete unknown', 'delete', child(id, 'apps', 'nope'), undefined, 404, 'APP_UNKNOWN'],
      [
        'apps of unknown project',
        'get',
        children(nobody, 'apps'),
        undefined,
        404,
        'PROJECT_UNKNOWN',
      ],
      [
        'app in unknown project',
        'post',
        children(nobody, 'apps'),
        { name: 'x', image },
        404,
        'PROJECT_UNKNOWN',
      ],
      [
        'app in deleted project',
        'post',
        children(deleted.id, 'apps'),
        { name: 'x', image },
        409,
        'PROJECT_DELETED',
      ],
      // Jobs
      [
        'job bad kind',
        'post',
        children(id, 'jobs'),
        { name: 'x', image, kind: 'cron' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'job bad name',
        'post',
        children(id, 'jobs'),
        { name: '-x', image },
        400,
        'INVALID_JOB_NAME',
      ],
      ['job unknown', 'put', child(id, 'jobs', 'nope'), { image }, 404, 'JOB_UNKNOWN'],
      // Secrets
      [
        'secret bad type',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'tls', data: { a: 'b' } },
        400,
        'INVALID_REQUEST',
      ],
      [
        'secret empty',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'generic', data: {} },
        400,
        'INVALID_REQUEST',
      ],
      [
        'secret bad key',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'generic', data: { 'a/b': 'c' } },
        400,
        'INVALID_DATA_KEY',
      ],
      [
        'secret too many',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'generic', data: many },
        400,
        'INVALID_REQUEST',
      ],
      [
        'secret no password',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'registry', server: 'a.io', username: 'u' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'secret mixed fields',
        'post',
        children(id, 'secrets'),
        { name: 'x', type: 'generic', data: { a: 'b' }, password: 'p' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'secret bad name',
        'post',
        children(id, 'secrets'),
        { name: 'a.b', type: 'generic', data: { a: 'b' } },
        400,
        'INVALID_SECRET_NAME',
      ],
      [
        'secret exists',
        'post',
        children(id, 'secrets'),
        { name: 'api', type: 'generic', data: { a: 'b' } },
        409,
        'SECRET_EXISTS',
      ],
      [
        'secret type change',
        'put',
        child(id, 'secrets', 'api'),
        { type: 'registry', server: 'a.io', username: 'u', password: 'p' },
        409,
        'SECRET_TYPE_FIXED',
      ],
      ['secret unknown', 'delete', child(id, 'secrets', 'nope'), undefined, 404, 'SECRET_UNKNOWN'],
      // Config maps
      [
        'config key',
        'post',
        children(id, 'config-maps'),
        { name: 'x', data: { '..': 'a' } },
        400,
        'INVALID_DATA_KEY',
      ],
      [
        'config value type',
        'post',
        children(id, 'config-maps'),
        { name: 'x', data: { a: 1 } },
        400,
        'INVALID_REQUEST',
      ],
      [
        'config no data',
        'post',
        children(id, 'config-maps'),
        { name: 'x' },
        400,
        'INVALID_REQUEST',
      ],
      [
        'config bad name',
        'post',
        children(id, 'config-maps'),
        { name: 'x_y', data: {} },
        400,
        'INVALID_CONFIG_MAP_NAME',
      ],
      [
        'config unknown',
        'get',
        child(id, 'config-maps', 'nope'),
        undefined,
        404,
        'CONFIG_MAP_UNKNOWN',
      ],
      [
        'config in deleted project',
        'put',
        child(deleted.id, 'config-maps', 'x'),
        { data: {} },
        409,
        'PROJECT_DELETED',
      ],
    ];
    const dump = await server.dump();
    for (const [what, method, path, body, status, code] of cases) {
      let req = api()[method](path);
      if (body !== undefined) req = req.send(body as object);
      const res = await req;
      expect(res.status, what).toBe(status);
      expect(res.body.error?.code, what).toBe(code);
      expect(res.body.error.message.length, what).toBeGreaterThan(10);
    }
    expect(await server.dump()).toBe(dump);
    // Domain refusals name their form field for the console.
    const cpu = await api().post(children(id, 'apps')).send({ name: 'x', image, cpu: 0.1 });
    expect(cpu.body.error.details).toEqual({ field: 'cpu' });
    const key = await api()
      .post(children(id, 'secrets'))
      .send({ name: 'x', type: 'generic', data: { 'a b': 'c' } });
    expect(key.body.error).toMatchObject({
      code: 'INVALID_DATA_KEY',
      message: expect.stringMatching(/^data: key "a b" may contain only/),
      details: { field: 'data' },
    });
  });

  it('never shows a secret value in a response or the audit log', async () => {
    await start();
    const { id } = await createProject(server, 'shop');
    const first = await fillProject(server, id);
    const seen: string[] = [];
    const keep = (res: request.Response) => {
      seen.push(JSON.stringify(res.body));
      return res;
    };
    const rotated = `rotated-${first.apiToken}`;
    keep(
      await api()
        .put(child(id, 'secrets', 'api'))
        .send({ type: 'generic', data: { API_TOKEN: rotated, OTHER: rotated } })
        .expect(200),
    );
    keep(await api().get(children(id, 'secrets')).expect(200));
    keep(
      await api()
        .get(child(id, 'secrets', 'pull'))
        .expect(200),
    );
    keep(await api().get(apiPaths.projectDeletionPreview(id)).expect(200));
    keep(await api().delete(apiPaths.project(id)).expect(200));
    keep(
      await api()
        .get(child(id, 'secrets', 'api'))
        .expect(200),
    );
    keep(await api().post(apiPaths.projectRestore(id)).expect(200));
    keep(
      await api()
        .delete(child(id, 'secrets', 'pull'))
        .expect(204),
    );
    const log = JSON.stringify((await server.store.audit.list({ limit: 1000 })).items);
    for (const value of [first.apiToken, first.password, rotated]) {
      for (const text of [...seen, log]) expect(text).not.toContain(value);
    }
    expect(seen[0]).toContain('"keys":["API_TOKEN","OTHER"]');
    const secretAudit = (await audit('project.secret.')).map((a) => a.details);
    expect(secretAudit).toEqual([
      { project: 'shop', region: 'local', name: 'api', type: 'generic', keys: ['API_TOKEN'] },
      {
        project: 'shop',
        region: 'local',
        name: 'pull',
        type: 'registry',
        keys: ['password'],
        server: TEST_REGISTRY,
      },
      {
        project: 'shop',
        region: 'local',
        name: 'api',
        type: 'generic',
        keys: ['API_TOKEN', 'OTHER'],
      },
      { project: 'shop', region: 'local', name: 'pull', type: 'registry', keys: ['password'] },
    ]);
  });
});
