import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';
import { createProject, TEST_REGISTRY } from '../../testing/projects.js';

/* `berth jobs`: a project's jobs and job templates, against a real server. */
describe('berth jobs', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;
  const P = ['--project', 'shop'];
  let projectId = '';

  const kindOf = async (name: string) =>
    (
      (
        await cli.server
          .api()
          .get(apiPaths.projectChild(projectId, 'jobs', name))
          .expect(200)
      ).body as { kind: string }
    ).kind;

  it('creates jobs and templates, lists them with their kind, turns one into the other', async () => {
    projectId = (await createProject(cli.server, 'shop')).id;
    const job = await berth(['jobs', 'create', 'migrate', ...P, '--image', 'x.io/ops/migrate:1']);
    expect(job.code, job.stderr).toBe(0);
    const template = await berth([
      'jobs',
      'create',
      'report',
      ...P,
      '--template',
      '--image',
      `${TEST_REGISTRY}/team-alpha/tools:stable`,
    ]);
    expect(template.code, template.stderr).toBe(0);
    expect(template.stdout).toMatch(/^kind: +template$/m);

    const list = await berth(['jobs', 'list', ...P]);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+IMAGE\s+STATE\s+CPU\s+MEMORY\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['migrate', 'job'],
      ['report', 'template'],
    ]);
    const json = await berth(['jobs', 'list', ...P, '-o', 'json']);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((j) => j.name)).toEqual([
      'migrate',
      'report',
    ]);

    expect((await berth(['jobs', 'set', 'report', ...P, '--job'])).code).toBe(0);
    expect(await kindOf('report')).toBe('job');
    expect((await berth(['jobs', 'set', 'report', ...P, '--template'])).code).toBe(0);
    expect(await kindOf('report')).toBe('template');
    // Only the kind changed: the image stays.
    const got = await berth(['jobs', 'get', 'report', ...P, '-o', 'json']);
    expect(JSON.parse(got.stdout)).toMatchObject({
      image: { pointer: `${TEST_REGISTRY}/team-alpha/tools:stable`, state: 'present' },
    });
  });

  it('bad input 2, unknown 3, refused 5, declined delete changes nothing', async () => {
    const before = await cli.server.dump();
    const both = await berth(['jobs', 'set', 'report', ...P, '--job', '--template']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('berth: --template or --job, not both\n');
    expect((await berth(['jobs', 'create', 'x', ...P])).code).toBe(2);
    expect((await berth(['jobs', 'get', 'nothing', ...P])).code).toBe(3);
    expect((await berth(['jobs', 'create', 'migrate', ...P, '--image', 'x.io/a/b:1'])).code).toBe(
      5,
    );
    const declined = await berth(['jobs', 'rm', 'migrate', ...P], { tty: true, input: 'nope\n' });
    expect(declined.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
    const forced = await berth(['jobs', 'rm', 'migrate', ...P, '--force', '-o', 'json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ name: 'migrate', deleted: true });
  });
});
