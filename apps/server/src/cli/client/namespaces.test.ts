import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { type CliRun, runBerth, useBerthServer } from '../../testing/berth-cli.js';

/* `berth namespaces`, the connection settings and the exit codes, against a real cli.server. */
describe('berth namespaces', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  const json = (run: CliRun) => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as unknown;
  };

  it('lists namespaces as an aligned table, and as the API objects with --output json', async () => {
    const table = await berth(['namespaces', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+REGION\s+REPOSITORIES\s+IMAGES\s+SIZE\s+TRASH\s+QUOTA\s+ROLE$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['team-alpha', 'local', '2', '4'],
      ['team-beta', 'eu-west', '1', '1'],
    ]);
    // Every column starts where its header does.
    expect(lines[1]!.indexOf('local')).toBe(lines[0]!.indexOf('REGION'));

    const items = json(await berth(['namespaces', 'list', '-o', 'json'])) as { name: string }[];
    const api = await cli.server.api().get(apiPaths.namespaces()).expect(200);
    expect(items).toEqual(api.body.items);

    const region = json(
      await berth(['namespaces', 'list', '--region', 'eu-west', '--output=json']),
    );
    expect((region as { name: string }[]).map((n) => n.name)).toEqual(['team-beta']);
  });

  it('follows cursors with --all, and says on stderr when there is more', async () => {
    const one = await berth(['namespaces', 'list', '--limit', '1', '-o', 'json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as unknown[]).length).toBe(1);
    expect(one.stderr).toMatch(/pass --all/);
    const all = await berth(['namespaces', 'list', '--limit', '1', '--all', '-o', 'json']);
    expect((json(all) as unknown[]).length).toBe(2);
    const bad = await berth(['namespaces', 'list', '--limit', '500']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/limit must be at most 200/);
  });

  it('adds a namespace; a bad name is exit 2 and a taken one exit 5, changing nothing', async () => {
    const made = await berth(['namespaces', 'add', 'team-gamma', '--quota', '10MiB']);
    expect(made.code).toBe(0);
    expect(made.stdout).toBe('created namespace team-gamma in region local\n');
    const got = json(await berth(['namespaces', 'get', 'team-gamma', '-o', 'json']));
    expect(got).toMatchObject({ name: 'team-gamma', quotaBytes: 10 * 1024 * 1024 });

    const before = await cli.server.dump();
    const bad = await berth(['namespaces', 'add', 'No']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^berth: namespace "No" must be 4–30 characters long/);
    const taken = await berth(['namespaces', 'add', 'team-gamma']);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toMatch(/^berth: .*team-gamma.*\(\w+, HTTP 409\)\n$/);
    const quota = await berth(['namespaces', 'add', 'team-delta', '--quota', 'lots']);
    expect(quota.code).toBe(2);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm without a terminal needs --force (exit 2) and shows what would go; nothing changes', async () => {
    const before = await cli.server.dump();
    const run = await berth(['namespaces', 'rm', 'team-beta']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Deleting namespace team-beta removes, immediately and for good:');
    expect(run.stderr).toContain('1 repositories, 1 images');
    expect(run.stderr).toMatch(/pass --force/);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm on a terminal deletes only after the namespace name is typed', async () => {
    await berth(['namespaces', 'add', 'typed-one']);
    const before = await cli.server.dump();
    const declined = await berth(['namespaces', 'rm', 'typed-one'], {
      tty: true,
      input: 'typed-on\n',
    });
    expect(declined.code).toBe(5);
    expect(declined.stdout).toMatch(/Type the namespace name \(typed-one\)/);
    expect(declined.stdout).toMatch(/not confirmed/);
    expect(await cli.server.dump()).toBe(before);

    const typed = await berth(['namespaces', 'rm', 'typed-one'], {
      tty: true,
      input: 'typed-one\n',
    });
    expect(typed.code).toBe(0);
    expect(typed.stdout).toMatch(/deleted namespace typed-one/);
    await cli.server.api().get(apiPaths.namespace('typed-one')).expect(404);
  });

  it('rm --force deletes at once and prints what went (JSON: the API answer)', async () => {
    const run = await berth(['namespaces', 'rm', 'team-gamma', '--force', '-o', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ namespace: 'team-gamma', repositories: 0 });
    await cli.server.api().get(apiPaths.namespace('team-gamma')).expect(404);
  });

  it('exit codes: unknown namespace 3, wrong key 4, no key 4 with a hint, bad flags 2', async () => {
    const missing = await berth(['namespaces', 'get', 'no-such-ns']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(
      'berth: namespace "no-such-ns" does not exist (NAMESPACE_UNKNOWN, HTTP 404)\n',
    );
    const missingRm = await berth(['namespaces', 'rm', 'no-such-ns', '--force']);
    expect(missingRm.code).toBe(3);

    const wrongKey = await berth(['namespaces', 'list'], { env: { BERTH_API_KEY: 'berth_wrong' } });
    expect(wrongKey.code).toBe(4);
    expect(wrongKey.stdout).toBe('');
    expect(wrongKey.stderr).toMatch(/the API key from BERTH_API_KEY was refused/);
    expect(wrongKey.stderr).not.toContain('berth_wrong');

    const noKey = await runBerth(['namespaces', 'list'], { env: { BERTH_URL: cli.server.url } });
    expect(noKey.code).toBe(4);
    expect(noKey.stderr).toMatch(/run berth login, or set BERTH_API_KEY/);

    const flag = await berth(['namespaces', 'list', '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^berth: Unknown option '--colour'/);
    const arg = await berth(['namespaces', 'get']);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toBe('berth: missing argument: berth namespaces get <namespace>\n');
    const extra = await berth(['namespaces', 'get', 'team-alpha', 'team-beta']);
    expect(extra.code).toBe(2);
    const sub = await berth(['namespaces', 'remove']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown subcommand "namespaces remove"/);
    const output = await berth(['namespaces', 'list', '-o', 'yaml']);
    expect(output.code).toBe(2);
    const server2 = await berth(['namespaces', 'list', '--server', 'ftp://x']);
    expect(server2.code).toBe(2);
    const down = await runBerth(['namespaces', 'list'], {
      env: { BERTH_URL: 'http://127.0.0.1:9', BERTH_API_KEY: 'k' },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it('has --help at every level, with the exit codes', async () => {
    const top = await runBerth(['--help']);
    expect(top.code).toBe(0);
    for (const group of [
      'namespaces',
      'repos',
      'images',
      'trash',
      'retention',
      'projects',
      'users',
      'api-keys',
      'audit',
      'gc',
      'login',
      'logout',
      'members',
      'scans',
      'search',
      'apps',
      'jobs',
      'secrets',
      'config-maps',
      'operations',
      'backups',
    ]) {
      expect(top.stdout).toMatch(new RegExp(`^  ${group} `, 'm'));
    }
    expect(top.stdout).toMatch(/5 {2}refused/);
    const group = await runBerth(['namespaces', '--help']);
    expect(group.stdout).toMatch(/^ {2}rm +delete a namespace/m);
    const command = await runBerth(['namespaces', 'rm', '--help']);
    expect(command.stdout).toMatch(/^Usage: berth namespaces rm <namespace> \[options\]/);
    expect(command.stdout).toMatch(/--force/);
    const help = await runBerth(['help', 'namespaces', 'rm']);
    expect(help.stdout).toBe(command.stdout);
    const none = await runBerth([]);
    expect(none.code).toBe(2);
  });
});
