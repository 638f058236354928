import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { createProject } from '../../testing/projects.js';

/* `berth members`: a namespace's or a project's members, against a real server. */
describe('berth members', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  const members = async (ns: string) =>
    (
      (await cli.server.api().get(apiPaths.namespaceMembers(ns)).expect(200)).body as {
        items: { username: string; role: string }[];
      }
    ).items.map((m) => `${m.username}:${m.role}`);

  it('adds, lists (table and JSON), changes and removes namespace members', async () => {
    await addAccount(cli.server, 'alice');
    await addAccount(cli.server, 'bob');
    const add = await berth([
      'members',
      'add',
      'alice',
      '--namespace',
      'team-alpha',
      '--role',
      'writer',
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe('alice has the writer role in namespace team-alpha\n');
    expect(
      (await berth(['members', 'add', 'bob', '--namespace', 'team-alpha', '--role', 'viewer']))
        .code,
    ).toBe(0);

    const table = await berth(['members', 'list', '--namespace', 'team-alpha']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+ROLE\s+ADDED\s+ADDED BY$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['alice', 'writer'],
      ['bob', 'viewer'],
    ]);
    const json = await berth(['members', 'list', '--namespace', 'team-alpha', '-o', 'json']);
    expect(json.stderr).toBe('');
    const api = await cli.server.api().get(apiPaths.namespaceMembers('team-alpha')).expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body.items);

    const set = await berth([
      'members',
      'set',
      'bob',
      '--namespace',
      'team-alpha',
      '--role',
      'manager',
      '-o',
      'json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ username: 'bob', role: 'manager' });

    const rm = await berth(['members', 'rm', 'alice', '--namespace', 'team-alpha', '--force']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe('removed alice from namespace team-alpha\n');
    expect(await members('team-alpha')).toEqual(['bob:manager']);

    const empty = await berth(['members', 'list', '--namespace', 'team-beta']);
    expect(empty.stdout).toMatch(/^no members in namespace team-beta/);
  });

  it('project members take the project roles', async () => {
    const project = await createProject(cli.server, 'shop');
    await addAccount(cli.server, 'carol');
    const writer = await berth([
      'members',
      'add',
      'carol',
      '--project',
      'shop',
      '--role',
      'writer',
    ]);
    expect(writer.code).toBe(2);
    expect(writer.stderr).toBe(
      'berth: --role for a project takes viewer, editor, manager (got "writer")\n',
    );
    const add = await berth(['members', 'add', 'carol', '--project', 'shop', '--role', 'editor']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe('carol has the editor role in project shop\n');
    const list = await berth(['members', 'list', '--project', project.id, '-o', 'json']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ username: 'carol', role: 'editor' }]);
    expect((await berth(['members', 'list', '--project', 'nothing'])).code).toBe(3);
  });

  it('bad input is exit 2, unknown names 3, a member added twice 5; nothing changes', async () => {
    const before = await cli.server.dump();
    for (const args of [
      ['members', 'list'],
      ['members', 'list', '--namespace', 'team-alpha', '--project', 'shop'],
      ['members', 'add', 'bob', '--namespace', 'team-alpha'],
      ['members', 'add', 'bob', '--namespace', 'team-alpha', '--role', 'owner'],
      ['members', 'add', 'bob', '--namespace', 'No'],
      ['members', 'set'],
    ]) {
      const run = await berth(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^berth: /);
    }
    const again = await berth([
      'members',
      'add',
      'bob',
      '--namespace',
      'team-alpha',
      '--role',
      'viewer',
    ]);
    expect(again.code).toBe(5);
    expect(again.stderr).toBe(
      'berth: bob has the manager role in namespace team-alpha already; change it with berth members set\n',
    );
    const notMember = await berth([
      'members',
      'set',
      'carol',
      '--namespace',
      'team-alpha',
      '--role',
      'viewer',
    ]);
    expect(notMember.code).toBe(3);
    expect(
      (await berth(['members', 'rm', 'carol', '--namespace', 'team-alpha', '--force'])).code,
    ).toBe(3);
    expect((await berth(['members', 'list', '--namespace', 'no-such-ns'])).code).toBe(3);
    const noUser = await berth([
      'members',
      'add',
      'nobody',
      '--namespace',
      'team-alpha',
      '--role',
      'viewer',
    ]);
    expect(noUser.code).toBe(3);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm asks on a terminal; a declined or unasked removal changes nothing', async () => {
    const before = await cli.server.dump();
    const script = await berth(['members', 'rm', 'bob', '--namespace', 'team-alpha']);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/^Removing bob \(manager\) from namespace team-alpha\n/);
    expect(script.stderr).toMatch(/pass --force/);
    const declined = await berth(['members', 'rm', 'bob', '--namespace', 'team-alpha'], {
      tty: true,
      input: 'no\n',
    });
    expect(declined.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
    const typed = await berth(['members', 'rm', 'bob', '--namespace', 'team-alpha'], {
      tty: true,
      input: 'yes\n',
    });
    expect(typed.code).toBe(0);
    expect(await members('team-alpha')).toEqual([]);
  });

  it('a member who is not a manager may list but not change (exit 4)', async () => {
    const dave = await addAccount(cli.server, 'dave', { namespaces: { 'team-alpha': 'writer' } });
    const key = await createKey(
      await signIn(cli.server.url, dave.username, dave.password),
      'k',
      'read-write',
    );
    const env = { BERTH_API_KEY: key };
    expect((await berth(['members', 'list', '--namespace', 'team-alpha'], { env })).code).toBe(0);
    const before = await cli.server.dump();
    const add = await berth(
      ['members', 'add', 'alice', '--namespace', 'team-alpha', '--role', 'viewer'],
      { env },
    );
    expect(add.code).toBe(4);
    expect(add.stderr).toMatch(/HTTP 403\)\n$/);
    expect(await cli.server.dump()).toBe(before);
  });

  it('has --help on the group and every verb', async () => {
    const group = await berth(['members', '--help']);
    expect(group.stdout).toMatch(/^ {2}rm +take a member out/m);
    for (const verb of ['list', 'add', 'set', 'rm']) {
      const help = await berth(['members', verb, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--namespace NS/);
    }
  });
});
