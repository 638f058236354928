import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth users', () => {
  const cli = useBerthServer();
  const { berth } = cli;

  it('adds a user with a temporary password read from stdin, which works only for changing it', async () => {
    const run = await berth(['users', 'add', 'alice', '--password-stdin'], {
      input: 'first-pass-1234\n',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('created user alice; the password must be changed at first sign-in\n');
    expect(run.stdout + run.stderr).not.toContain('first-pass-1234');
    const alice = await signIn(cli.server.url, 'alice', 'first-pass-1234');
    await alice.agent.get(apiPaths.namespaces()).expect(403);

    const list = await berth(['users', 'list']);
    expect(list.stdout).toMatch(/^alice\s+no\s+no\s+yes\s+2026-11-01 12:00Z\s+2026-11-01 12:00Z$/m);
    expect(list.stdout).toMatch(/^admin\s+yes\s+no\s+no\s/m);
  });

  it('refuses to ask for a password without a terminal, and a taken name (5); nothing changes', async () => {
    const before = await cli.server.dump();
    const noPassword = await berth(['users', 'add', 'bob']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/--password-stdin/);
    const empty = await berth(['users', 'add', 'bob', '--password-stdin'], { input: '\n' });
    expect(empty.code).toBe(2);
    const taken = await berth(['users', 'add', 'alice', '--password-stdin'], {
      input: 'x-long-password\n',
    });
    expect(taken.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
  });

  it('set makes admin, disables and resets the password', async () => {
    const admin = await berth(['users', 'set', 'alice', '--admin', '-o', 'json']);
    expect(JSON.parse(admin.stdout)).toMatchObject({
      username: 'alice',
      admin: true,
      disabled: false,
    });
    const disabled = await berth(['users', 'set', 'alice', '--disable']);
    expect(disabled.stdout).toMatch(/^disabled: +yes$/m);
    const reset = await berth(
      ['users', 'set', 'alice', '--enable', '--reset-password', '--password-stdin'],
      {
        input: 'reset-pass-5678\n',
      },
    );
    expect(reset.code, reset.stderr).toBe(0);
    await signIn(cli.server.url, 'alice', 'reset-pass-5678');

    const before = await cli.server.dump();
    expect((await berth(['users', 'set', 'alice'])).code).toBe(2);
    expect((await berth(['users', 'set', 'alice', '--admin', '--no-admin'])).code).toBe(2);
    expect((await berth(['users', 'set', 'nobody', '--admin'])).code).toBe(3);
    expect(await cli.server.dump()).toBe(before);
  });

  it('a user who is not an admin is refused (4)', async () => {
    const account = await addAccount(cli.server, 'carol');
    const carol = await signIn(cli.server.url, account.username, account.password);
    const key = await carol.agent
      .post(apiPaths.apiKeys())
      .send({ name: 'k', access: 'read-write' })
      .expect(201);
    const run = await berth(['users', 'list'], {
      env: { BERTH_API_KEY: (key.body as { secret: string }).secret },
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/HTTP 403\)\n$/);
  });
});
