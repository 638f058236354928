import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { createProject } from '../../testing/projects.js';

/* `berth config-maps`: a project's config maps, against a real server. */
describe('berth config-maps', () => {
  const cli = useBerthServer();
  const { berth } = cli;
  const P = ['--project', 'shop'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-config-maps-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let projectId = '';
  const nginx = 'server {\n  listen 8080;\n}\n';

  const dataOf = async (name: string) =>
    (
      (
        await cli.server
          .api()
          .get(apiPaths.projectChild(projectId, 'config-maps', name))
          .expect(200)
      ).body as { data: Record<string, string> }
    ).data;

  it('creates from --set and files, lists and shows it (table and JSON)', async () => {
    projectId = (await createProject(cli.server, 'shop')).id;
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, nginx);
    const made = await berth([
      'config-maps',
      'create',
      'web',
      ...P,
      '--set',
      'LOG_LEVEL=info',
      '--set',
      'URL=https://x.io/?a=b',
      '--from-file',
      `nginx.conf=${conf}`,
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe('created config map web in project shop\n');
    expect(await dataOf('web')).toEqual({
      LOG_LEVEL: 'info',
      URL: 'https://x.io/?a=b',
      'nginx.conf': nginx,
    });
    const list = await berth(['config-maps', 'list', ...P]);
    expect(list.stdout).toMatch(/^NAME\s+KEYS\s+UPDATED\nweb\s+LOG_LEVEL,URL,nginx\.conf\s/);
    const json = await berth(['config-maps', 'list', ...P, '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.projectChildren(projectId, 'config-maps'));
    expect(JSON.parse(json.stdout)).toEqual(api.body.items);
    const get = await berth(['config-maps', 'get', 'web', ...P]);
    expect(get.stdout).toMatch(/^nginx\.conf\s+server \{… \(26 chars\)$/m);
    expect(get.stdout).toMatch(/^LOG_LEVEL\s+info$/m);
    const whole = await berth(['config-maps', 'get', 'web', ...P, '-o', 'json']);
    expect(JSON.parse(whole.stdout)).toMatchObject({ data: { 'nginx.conf': nginx } });
  });

  it('set adds, changes and removes entries and keeps the rest', async () => {
    const set = await berth([
      'config-maps',
      'set',
      'web',
      ...P,
      '--set',
      'LOG_LEVEL=debug',
      '--unset',
      'URL',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(await dataOf('web')).toEqual({ LOG_LEVEL: 'debug', 'nginx.conf': nginx });
  });

  it('bad input 2, unknown 3, taken 5, not allowed 4, declined delete: nothing changes', async () => {
    const before = await cli.server.dump();
    for (const args of [
      ['config-maps', 'create', 'x', ...P, '--set', 'NOVALUE'],
      ['config-maps', 'create', 'x', ...P, '--set', 'A=1', '--set', 'A=2'],
      ['config-maps', 'create', 'x', ...P, '--from-file', `A=${path.join(dir, 'missing')}`],
      ['config-maps', 'set', 'web', ...P],
      ['config-maps', 'set', 'web', ...P, '--unset', 'NOPE'],
      ['config-maps', 'get', 'web'],
    ]) {
      const run = await berth(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^berth: /);
    }
    expect((await berth(['config-maps', 'get', 'nothing', ...P])).code).toBe(3);
    expect((await berth(['config-maps', 'create', 'web', ...P, '--set', 'A=1'])).code).toBe(5);
    const declined = await berth(['config-maps', 'rm', 'web', ...P], { tty: true, input: 'n\n' });
    expect(declined.code).toBe(5);
    expect(declined.stdout).toMatch(/Deleting config map web of project shop \(2 entries\)/);
    expect(await cli.server.dump()).toBe(before);

    const v = await addAccount(cli.server, 'viewer', { projects: { [projectId]: 'viewer' } });
    const key = await createKey(
      await signIn(cli.server.url, v.username, v.password),
      'k',
      'read-write',
    );
    const afterKey = await cli.server.dump();
    const denied = await berth(['config-maps', 'set', 'web', ...P, '--set', 'A=1'], {
      env: { BERTH_API_KEY: key },
    });
    expect(denied.code).toBe(4);
    expect(await cli.server.dump()).toBe(afterKey);

    const done = await berth(['config-maps', 'rm', 'web', ...P, '--force']);
    expect(done.code).toBe(0);
    await cli.server
      .api()
      .get(apiPaths.projectChild(projectId, 'config-maps', 'web'))
      .expect(404);
  });
});
