import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { freshConfigHome, runBerth } from '../../testing/berth-cli.js';
import { defaultKeyName } from './commands/session.js';
import { ADMIN, startTestServer, type TestServer } from '../../testing/test-server.js';

/* berth login, logout and api-keys: the only commands that handle passwords and key secrets. */
describe('berth login, logout and api-keys', () => {
  let server: TestServer;
  let home: string;
  // No BERTH_API_KEY: the stored login is the only credential.
  const berth = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    runBerth(args, { ...opts, env: { XDG_CONFIG_HOME: home, BERTH_URL: server.url, ...opts.env } });

  beforeAll(async () => {
    server = await startTestServer();
    home = freshConfigHome();
  });
  afterAll(() => server.stop());

  const keys = async () =>
    (
      (await server.api().get(apiPaths.apiKeys()).expect(200)).body as {
        items: { id: string; name: string; revokedAt: string | null }[];
      }
    ).items;

  it('a wrong password is exit 4 and stores nothing', async () => {
    const run = await berth(['login', '-u', ADMIN.username, '--password-stdin'], {
      input: 'wrong\n',
    });
    expect(run.code).toBe(4);
    expect(fs.existsSync(path.join(home, 'berth', 'config.json'))).toBe(false);
    const noTty = await berth(['login', '-u', ADMIN.username]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--password-stdin/);
  });

  it('login creates a key, stores it 0600 and never prints it; later commands use it', async () => {
    const run = await berth(
      ['login', '-u', ADMIN.username, '--password-stdin', '--key-name', 'laptop'],
      {
        input: `${ADMIN.password}\n`,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const file = path.join(home, 'berth', 'config.json');
    expect(run.stdout).toBe(
      `signed in to ${server.url} as admin (API key laptop, saved in ${file})\n`,
    );
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { apiKey: string; server: string };
    expect(stored.server).toBe(server.url);
    expect(run.stdout + run.stderr).not.toContain(stored.apiKey);
    expect((await keys()).find((k) => k.name === 'laptop')?.revokedAt).toBeNull();

    const list = await berth(['api-keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\S+\s+laptop\s+read-write\s+all\s/m);
    expect(list.stdout).not.toContain(stored.apiKey);
  });

  it('on a terminal, asks for the password without echoing it', async () => {
    const run = await runBerth(['login', '-u', ADMIN.username, '--key-name', 'terminal'], {
      tty: true,
      waitFor: 'Password for admin: ',
      input: `${ADMIN.password}\r`,
      env: { XDG_CONFIG_HOME: freshConfigHome(), BERTH_URL: server.url },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/Password for admin: \r?\n/);
    expect(run.stdout).toMatch(/signed in to .* as admin \(API key terminal/);
    expect(run.stdout).not.toContain(ADMIN.password);
  });

  it('the stored key is never sent to another server', async () => {
    const other = await startTestServer();
    try {
      const run = await berth(['namespaces', 'list'], { env: { BERTH_URL: other.url } });
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/not signed in to http:\/\/127\.0\.0\.1:\d+: run berth login/);
    } finally {
      await other.stop();
    }
  });

  it('api-keys create prints the secret once; the key works; revoke ends it', async () => {
    const refused = await berth(['api-keys', 'create', 'ci', '--access', 'admin']);
    expect(refused.code).toBe(2);
    const run = await berth(['api-keys', 'create', 'ci', '--password-stdin', '-o', 'json'], {
      input: `${ADMIN.password}\n`,
    });
    expect(run.code, run.stderr).toBe(0);
    const created = JSON.parse(run.stdout) as { id: string; secret: string; access: string };
    expect(created.access).toBe('read-only');
    const use = await runBerth(['namespaces', 'list'], {
      env: { BERTH_URL: server.url, BERTH_API_KEY: created.secret },
    });
    expect(use.code).toBe(0);

    const revoked = await berth(['api-keys', 'revoke', created.id]);
    expect(revoked.stdout).toBe(`revoked API key ${created.id}\n`);
    const after = await runBerth(['namespaces', 'list'], {
      env: { BERTH_URL: server.url, BERTH_API_KEY: created.secret },
    });
    expect(after.code).toBe(4);
    expect((await berth(['api-keys', 'revoke', 'no-such-key'])).code).toBe(3);
  });

  it('logout revokes the stored key and forgets it', async () => {
    const run = await berth(['logout']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`signed out of ${server.url}; API key laptop revoked\n`);
    expect(fs.existsSync(path.join(home, 'berth', 'config.json'))).toBe(false);
    expect((await keys()).find((k) => k.name === 'laptop')?.revokedAt).not.toBeNull();
    const after = await berth(['namespaces', 'list']);
    expect(after.code).toBe(4);
    expect((await berth(['logout'])).code).toBe(0);
  });

  it('login without --key-name names the key after this host, within the API key-name rule', async () => {
    const run = await berth(['login', '-u', ADMIN.username, '--password-stdin'], {
      input: `${ADMIN.password}\n`,
    });
    expect(run.code, run.stderr).toBe(0);
    const named = (await keys()).find((k) => k.name === defaultKeyName(os.hostname()));
    expect(named?.revokedAt).toBeNull();
    expect((await berth(['logout'])).code).toBe(0);
    // Host names may hold what key names may not (a dot is fine; @, : and / are not).
    expect(defaultKeyName('build@host:8080/x')).toBe('berth-cli on build-host-8080-x');
    expect(defaultKeyName('h'.repeat(100))).toHaveLength(64);
  });
});
