import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { createProject, TEST_REGISTRY } from '../../testing/projects.js';

/* `berth apps`: a project's apps, against a real server. */
describe('berth apps', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;
  const P = ['--project', 'shop'];

  const appOf = async (name: string) =>
    (
      await cli.server
        .api()
        .get(apiPaths.projectChild(projectId, 'apps', name))
        .expect(200)
    ).body as Record<string, unknown>;
  let projectId = '';

  it('creates an app pointing at an image, lists it (table and JSON) and shows it', async () => {
    projectId = (await createProject(cli.server, 'shop')).id;
    const image = `${TEST_REGISTRY}/team-alpha/web/app:2.0`;
    const made = await berth([
      'apps',
      'create',
      'web',
      ...P,
      '--image',
      image,
      '--env',
      'PORT=8080',
      '--env',
      'MODE=a=b',
      '--command',
      'node',
      '--command',
      'server.js',
      '--cpu',
      '1.5',
      '--memory',
      '512',
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^created app web in project shop\n/);
    expect(made.stdout).toMatch(/^image state: present$/m);
    expect(await appOf('web')).toMatchObject({
      command: ['node', 'server.js'],
      env: { PORT: '8080', MODE: 'a=b' },
      cpu: 1.5,
      memoryMiB: 512,
    });

    const list = await berth(['apps', 'list', ...P]);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+IMAGE\s+STATE\s+CPU\s+MEMORY\s+UPDATED$/);
    expect(lines[1]).toMatch(new RegExp(`^web\\s+${image}\\s+present\\s+1\\.5\\s+512 MiB\\s`));
    const json = await berth(['apps', 'list', ...P, '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.projectChildren(projectId, 'apps')).expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body.items);

    const get = await berth(['apps', 'get', 'web', ...P]);
    expect(get.stdout).toMatch(/^command: +node server\.js$/m);
    expect(get.stdout).toMatch(/^env: +PORT=8080 MODE=a=b$/m);
  });

  it('set changes what is given and keeps the rest', async () => {
    const set = await berth([
      'apps',
      'set',
      'web',
      ...P,
      '--image',
      'registry.example.com/ops/web:3',
      '--unset-env',
      'MODE',
      '--env',
      'DEBUG=1',
      '-o',
      'json',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      image: { pointer: 'registry.example.com/ops/web:3', state: 'external' },
    });
    expect(await appOf('web')).toMatchObject({
      command: ['node', 'server.js'],
      env: { PORT: '8080', DEBUG: '1' },
      cpu: 1.5,
      memoryMiB: 512,
    });
    const cleared = await berth(['apps', 'set', 'web', ...P, '--no-command']);
    expect(cleared.code).toBe(0);
    expect((await appOf('web')).command).toEqual([]);
  });

  it('bad input is exit 2, unknown names 3, a taken name 5; nothing changes', async () => {
    const before = await cli.server.dump();
    for (const args of [
      ['apps', 'list'],
      ['apps', 'create', 'api', ...P],
      ['apps', 'create', 'api', ...P, '--image', 'x/y:1', '--env', 'NOEQUALS'],
      ['apps', 'create', 'api', ...P, '--image', 'x/y:1', '--cpu', 'lots'],
      ['apps', 'create', 'api', ...P, '--image', 'x/y:1', '--memory', '-1'],
      ['apps', 'create', 'Bad Name', ...P, '--image', 'x/y:1'],
      ['apps', 'create', 'api', ...P, '--image', 'not an image reference'],
      ['apps', 'set', 'web', ...P],
    ]) {
      const run = await berth(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^berth: /);
    }
    expect((await berth(['apps', 'get', 'nothing', ...P])).code).toBe(3);
    expect((await berth(['apps', 'list', '--project', 'nothing'])).code).toBe(3);
    expect((await berth(['apps', 'set', 'nothing', ...P, '--cpu', '1'])).code).toBe(3);
    const taken = await berth(['apps', 'create', 'web', ...P, '--image', 'x.io/y/z:1']);
    expect(taken.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm asks on a terminal; declined or unasked changes nothing', async () => {
    const before = await cli.server.dump();
    const script = await berth(['apps', 'rm', 'web', ...P]);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/^Deleting app web of project shop/);
    const declined = await berth(['apps', 'rm', 'web', ...P], { tty: true, input: 'no\n' });
    expect(declined.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
    const done = await berth(['apps', 'rm', 'web', ...P], { tty: true, input: 'yes\n' });
    expect(done.code).toBe(0);
    await cli.server
      .api()
      .get(apiPaths.projectChild(projectId, 'apps', 'web'))
      .expect(404);
    expect((await berth(['apps', 'rm', 'web', ...P, '--force'])).code).toBe(3);
  });

  it('a project viewer may list but not create (exit 4)', async () => {
    const v = await addAccount(cli.server, 'viewer', { projects: { [projectId]: 'viewer' } });
    const key = await createKey(
      await signIn(cli.server.url, v.username, v.password),
      'k',
      'read-write',
    );
    const env = { BERTH_API_KEY: key };
    expect((await berth(['apps', 'list', ...P], { env })).code).toBe(0);
    const before = await cli.server.dump();
    const made = await berth(['apps', 'create', 'api', ...P, '--image', 'x.io/y/z:1'], { env });
    expect(made.code).toBe(4);
    expect(await cli.server.dump()).toBe(before);
  });
});
