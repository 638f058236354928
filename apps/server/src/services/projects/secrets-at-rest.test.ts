import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import {
  TEST_REGISTRY,
  createProject,
  fillProject,
  type FilledSecrets,
} from '../../testing/projects.js';
import { generateRootKey, readKeyFile, rootKeyId } from './keyring.js';

let dataDir = '';
const running: TestServer[] = [];

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ env, ...(dataDir ? { dataDir } : {}) });
  dataDir = server.dataDir;
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = '';
});

async function expectValues(server: TestServer, projectId: string, secrets: FilledSecrets) {
  expect(await server.services.projects.secretValues(projectId, 'api')).toEqual({
    type: 'generic',
    data: { API_TOKEN: secrets.apiToken },
  });
  expect(await server.services.projects.secretValues(projectId, 'pull')).toEqual({
    type: 'registry',
    server: TEST_REGISTRY,
    username: 'robot',
    password: secrets.password,
  });
}

it('stores no secret value in the database files, in plain text or base64', async () => {
  const server = await start();
  const { id } = await createProject(server, 'shop');
  const secrets = await fillProject(server, id);
  const replaced = `replaced-${secrets.apiToken}`;
  await server
    .api()
    .put(apiPaths.projectChild(id, 'secrets', 'api'))
    .send({ type: 'generic', data: { API_TOKEN: replaced } })
    .expect(200);
  const dbFiles = () =>
    ['berth.db', 'berth.db-wal', 'berth.db-shm']
      .map((f) => path.join(dataDir, f))
      .filter((f) => fs.existsSync(f));
  // While running, recent writes live in the WAL file.
  expect(dbFiles().map((f) => path.basename(f))).toContain('berth.db-wal');
  const check = () => {
    // The scan sees what is stored in clear (key names), so it would see a value too.
    const all = Buffer.concat(dbFiles().map((f) => fs.readFileSync(f)));
    expect(all.includes(Buffer.from('API_TOKEN'))).toBe(true);
    for (const file of dbFiles()) {
      const bytes = fs.readFileSync(file);
      for (const value of [secrets.apiToken, secrets.password, replaced]) {
        expect(bytes.includes(Buffer.from(value)), `${value} in ${file}`).toBe(false);
        const b64 = Buffer.from(value).toString('base64');
        expect(bytes.includes(Buffer.from(b64)), `base64 of ${value} in ${file}`).toBe(false);
      }
    }
  };
  check();
  // Values are there, sealed: the runtime reads them back.
  expect(await server.services.projects.secretValues(id, 'api')).toEqual({
    type: 'generic',
    data: { API_TOKEN: replaced },
  });
  // And after a checkpoint has moved everything into the main file.
  await server.close();
  check();
});

it('refuses to start with a wrong or missing root key, and loses nothing', async () => {
  const first = await start();
  const { id } = await createProject(first, 'shop');
  const secrets = await fillProject(first, id);
  const dump = await first.dump();
  await first.close();

  const other = generateRootKey().toString('base64');
  await expect(start({ BERTH_ROOT_KEY: other })).rejects.toMatchObject({
    name: 'RootKeyError',
    message: expect.stringMatching(/^wrong root key: project data keys are wrapped by root key/),
  });
  const keyFile = path.join(dataDir, 'root.key');
  fs.renameSync(keyFile, `${keyFile}.away`);
  await expect(start()).rejects.toMatchObject({
    name: 'RootKeyError',
    message: expect.stringMatching(/^no root key: .*root\.key does not exist/),
  });
  // No new key file was generated in its place.
  expect(fs.existsSync(keyFile)).toBe(false);
  fs.renameSync(`${keyFile}.away`, keyFile);

  const again = await start();
  expect(await again.dump()).toBe(dump);
  await expectValues(again, id, secrets);
});

const ROTATE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../dist/cli/rotate-root-key.js',
);

/** The rotation command as an operator runs it: another process, beside the running server. */
function rotate(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [ROTATE, ...args], {
    env: { PATH: process.env.PATH ?? '', BERTH_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

it('rotates the key file while the server runs, and keeps every secret readable', async () => {
  const server = await start();
  const keyFile = path.join(dataDir, 'root.key');
  const [oldKey] = readKeyFile(keyFile);
  const projects: { id: string; secrets: FilledSecrets }[] = [];
  for (const name of ['one', 'two', 'three']) {
    const { id } = await createProject(server, name);
    projects.push({ id, secrets: await fillProject(server, id) });
  }
  const sealed = () =>
    server.store.db.selectFrom('project_secrets').selectAll().orderBy('id').execute();
  const sealedBefore = await sealed();
  expect(await server.store.projects.keyIds()).toEqual([rootKeyId(oldKey!)]);

  const first = rotate({});
  expect(first.code, first.out).toBe(0);
  expect(first.out).toContain('re-wrapped 3 data key(s)');
  const keys = readKeyFile(keyFile);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toEqual(oldKey);
  const newId = rootKeyId(keys[0]!);
  expect(await server.store.projects.keyIds()).toEqual([newId]);
  expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

  // The running server reads every secret under the new key and wraps new projects with it.
  for (const p of projects) await expectValues(server, p.id, p.secrets);
  const later = await createProject(server, 'four');
  const laterSecrets = await fillProject(server, later.id);
  expect(await server.store.projects.keyIds()).toEqual([newId]);
  // Only data keys were re-wrapped; the sealed values are as they were.
  expect((await sealed()).filter((r) => r.project_id !== later.id)).toEqual(sealedBefore);

  const prune = rotate({}, '--rewrap-only', '--prune');
  expect(prune.code, prune.out).toBe(0);
  expect(prune.out).toContain('removed 1 unused root key(s)');
  expect(readKeyFile(keyFile)).toEqual([keys[0]]);
  const audit = await server.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', 'root-key.rotate')
    .execute();
  expect(audit.map((e) => e.actor)).toEqual(['cli:rotate-root-key', 'cli:rotate-root-key']);
  expect(JSON.stringify(audit)).not.toContain(keys[0]!.toString('base64'));
  await server.close();

  const restarted = await start();
  for (const p of [...projects, { id: later.id, secrets: laterSecrets }]) {
    await expectValues(restarted, p.id, p.secrets);
  }
});

it('re-wraps under a key given in the environment, and refuses a key that cannot read', async () => {
  const a = generateRootKey().toString('base64');
  const b = generateRootKey().toString('base64');
  const first = await start({ BERTH_ROOT_KEY: a });
  const projects: { id: string; secrets: FilledSecrets }[] = [];
  for (const name of ['one', 'two']) {
    const { id } = await createProject(first, name);
    projects.push({ id, secrets: await fillProject(first, id) });
  }
  await first.close();

  // A key that did not wrap the data keys changes nothing.
  const wrong = rotate({ BERTH_ROOT_KEY: b });
  expect(wrong.code).toBe(1);
  expect(wrong.out).toContain('wrong root key');

  // During the rotation both keys are configured, the new one first.
  const done = rotate({ BERTH_ROOT_KEY: `${b},${a}` });
  expect(done.code, done.out).toBe(0);
  expect(done.out).toContain(`root key(s) ${rootKeyId(Buffer.from(a, 'base64'))} wrap nothing now`);

  const rotated = await start({ BERTH_ROOT_KEY: b });
  for (const p of projects) await expectValues(rotated, p.id, p.secrets);
  expect(await rotated.store.projects.keyIds()).toEqual([rootKeyId(Buffer.from(b, 'base64'))]);
  await rotated.close();
  await expect(start({ BERTH_ROOT_KEY: a })).rejects.toMatchObject({ name: 'RootKeyError' });
});
