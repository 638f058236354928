import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { type CliOptions, type CliRun, useBerthServer } from '../../testing/berth-cli.js';
import { createProject } from '../../testing/projects.js';

/*
 * `berth secrets`: values go in from files and stdin, never from flags, and never come back
 * out: every command's stdout and stderr is searched for them.
 */
describe('berth secrets', () => {
  const cli = useBerthServer();
  const P = ['--project', 'shop'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-secrets-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let projectId = '';

  const values = {
    token: `tok-${randomUUID()}`,
    cert: `-----BEGIN CERT-----\n${randomUUID()}\n-----END CERT-----\n`,
    stdin: `in-${randomUUID()}`,
    password: `pw-${randomUUID()}`,
    replaced: `new-${randomUUID()}`,
    envFile: `env-${randomUUID()}`,
    typed: `typed-${randomUUID()}`,
  };
  const file = (name: string, content: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  /** Every run goes through here, so that no output escapes the search for the values. */
  const runs: CliRun[] = [];
  const berth = async (args: string[], opts?: CliOptions) => {
    const run = await cli.berth(args, opts);
    runs.push(run);
    return run;
  };

  it('creates generic secrets from files, stdin and env files, and a registry secret', async () => {
    projectId = (await createProject(cli.server, 'shop')).id;
    const generic = await berth([
      'secrets',
      'create',
      'api',
      ...P,
      '--from-file',
      `TOKEN=${file('token', values.token)}`,
      '--from-file',
      `CERT=${file('cert.pem', values.cert)}`,
    ]);
    expect(generic.code, generic.stderr).toBe(0);
    expect(generic.stdout).toMatch(/^created secret api in project shop\n/);
    expect(generic.stdout).toMatch(/^data: +CERT=•+ TOKEN=•+$/m);

    const piped = await berth(['secrets', 'create', 'piped', ...P, '--from-stdin', 'VALUE'], {
      input: `${values.stdin}\n`,
    });
    expect(piped.code, piped.stderr).toBe(0);
    const envFile = await berth([
      'secrets',
      'create',
      'env',
      ...P,
      '--from-env-file',
      file('app.env', `# comment\n\nA=${values.envFile}\nB=two=2\n`),
    ]);
    expect(envFile.code, envFile.stderr).toBe(0);

    const registry = await berth(
      [
        'secrets',
        'create',
        'pull',
        ...P,
        '--type',
        'registry',
        '--registry',
        'ghcr.io',
        '--username',
        'bot',
        '--password-stdin',
      ],
      { input: `${values.password}\n` },
    );
    expect(registry.code, registry.stderr).toBe(0);
    expect(registry.stdout).toMatch(/^password: +•+$/m);
  });

  it('on a terminal, asks for a --from-stdin value without echoing it', async () => {
    const typed = await berth(['secrets', 'create', 'typed', ...P, '--from-stdin', 'PIN'], {
      tty: true,
      waitFor: 'Value of PIN (not shown): ',
      input: `${values.typed}\r`,
    });
    expect(typed.code, typed.stdout).toBe(0);
    expect(typed.stdout).toMatch(/^created secret typed in project shop\r?$/m);
    expect(await cli.server.services.projects.secretValues(projectId, 'typed')).toMatchObject({
      data: { PIN: values.typed },
    });
  });

  it('stores the values exactly as given (a file whole, stdin without its last newline)', async () => {
    // The server never shows a value; what it would inject is checked from its own service.
    const read = (name: string) => cli.server.services.projects.secretValues(projectId, name);
    expect(await read('api')).toMatchObject({ data: { TOKEN: values.token, CERT: values.cert } });
    expect(await read('piped')).toMatchObject({ data: { VALUE: values.stdin } });
    expect(await read('env')).toMatchObject({ data: { A: values.envFile, B: 'two=2' } });
    expect(await read('pull')).toMatchObject({ password: values.password });
  });

  it('lists and shows secrets masked, as table and JSON', async () => {
    const list = await berth(['secrets', 'list', ...P]);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+KEYS\s+REGISTRY\s+USERNAME\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['api', 'generic', 'CERT,TOKEN'],
      ['env', 'generic', 'A,B'],
      ['piped', 'generic', 'VALUE'],
      ['pull', 'registry', 'password'],
      ['typed', 'generic', 'PIN'],
    ]);
    const json = await berth(['secrets', 'list', ...P, '-o', 'json']);
    const api = await cli.server
      .api()
      .get(apiPaths.projectChildren(projectId, 'secrets'))
      .expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body.items);
    const get = await berth(['secrets', 'get', 'pull', ...P]);
    expect(get.stdout).toMatch(/^registry: +ghcr\.io$/m);
    expect((await berth(['secrets', 'get', 'pull', ...P, '-o', 'json'])).code).toBe(0);
  });

  it('set replaces every value; the type cannot change', async () => {
    const set = await berth(['secrets', 'set', 'api', ...P, '--from-stdin', 'TOKEN'], {
      input: values.replaced,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^data: +TOKEN=•+$/m);
    const before = await cli.server.dump();
    const type = await berth([
      'secrets',
      'set',
      'api',
      ...P,
      '--type',
      'registry',
      '--registry',
      'x.io',
      '--username',
      'u',
      '--password-file',
      file('pw', values.password),
    ]);
    expect(type.code).toBe(5);
    expect(type.stderr).toMatch(/is a generic secret; its type cannot change/);
    const password = await berth([
      'secrets',
      'set',
      'pull',
      ...P,
      '--registry',
      'ghcr.io',
      '--username',
      'bot2',
      '--password-file',
      file('pw2', `${values.replaced}\n`),
      '-o',
      'json',
    ]);
    expect(password.code, password.stderr).toBe(0);
    expect(JSON.parse(password.stdout)).toMatchObject({ username: 'bot2' });
    expect(before).not.toBe(await cli.server.dump());
  });

  it('bad input is exit 2 and changes nothing; unknown 3; a taken name 5', async () => {
    const before = await cli.server.dump();
    const big = file('big', 'x'.repeat(40 * 1024) + values.token);
    for (const args of [
      ['secrets', 'create', 'x', ...P],
      ['secrets', 'create', 'x', ...P, '--literal', `K=${values.token}`],
      ['secrets', 'create', 'x', ...P, '--from-file', 'K'],
      ['secrets', 'create', 'x', ...P, '--from-file', `K=${path.join(dir, 'missing')}`],
      ['secrets', 'create', 'x', ...P, '--from-file', `K=${big}`],
      ['secrets', 'create', 'x', ...P, '--type', 'vault', '--from-file', `K=${big}`],
      ['secrets', 'create', 'x', ...P, '--type', 'registry', '--registry', 'a.io'],
      ['secrets', 'create', 'x', ...P, '--registry', 'a.io', '--from-file', `K=${big}`],
      [
        'secrets',
        'create',
        'x',
        ...P,
        '--from-file',
        `K=${file('k1', 'one')}`,
        '--from-file',
        `K=${file('k2', 'two')}`,
      ],
    ]) {
      const run = await berth(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^berth: /);
    }
    const empty = await berth(
      [
        'secrets',
        'create',
        'x',
        ...P,
        '--type',
        'registry',
        '--registry',
        'a',
        '--username',
        'u',
        '--password-stdin',
      ],
      { input: '\n' },
    );
    expect(empty.code).toBe(2);
    expect((await berth(['secrets', 'get', 'nothing', ...P])).code).toBe(3);
    expect((await berth(['secrets', 'list', '--project', 'nothing'])).code).toBe(3);
    const taken = await berth([
      'secrets',
      'create',
      'api',
      ...P,
      '--from-file',
      `K=${file('k3', 'v')}`,
    ]);
    expect(taken.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm asks; declined changes nothing; a viewer may not create (exit 4)', async () => {
    const before = await cli.server.dump();
    const declined = await berth(['secrets', 'rm', 'piped', ...P], { tty: true, input: 'no\n' });
    expect(declined.code).toBe(5);
    expect((await berth(['secrets', 'rm', 'piped', ...P])).code).toBe(2);
    const v = await addAccount(cli.server, 'viewer', { projects: { [projectId]: 'viewer' } });
    const key = await createKey(
      await signIn(cli.server.url, v.username, v.password),
      'k',
      'read-write',
    );
    const afterKey = await cli.server.dump();
    expect(before).not.toBe(afterKey);
    const denied = await berth(['secrets', 'create', 'x', ...P, '--from-stdin', 'K'], {
      env: { BERTH_API_KEY: key },
      input: values.token,
    });
    expect(denied.code).toBe(4);
    expect(await cli.server.dump()).toBe(afterKey);
    const done = await berth(['secrets', 'rm', 'piped', ...P, '--force']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('deleted secret piped\n');
  });

  it('no value ever appeared in any output', () => {
    expect(runs.length).toBeGreaterThan(20);
    const secrets = [
      values.token,
      values.cert.split('\n')[1]!,
      values.stdin,
      values.password,
      values.replaced,
      values.envFile,
      values.typed,
    ];
    for (const run of runs) {
      for (const value of secrets) {
        expect(run.stdout).not.toContain(value);
        expect(run.stderr).not.toContain(value);
        expect(run.stdout).not.toContain(Buffer.from(value).toString('base64'));
      }
    }
  });
});
