import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freshConfigHome } from '../../testing/berth-cli.js';

/* The repository's ./berth script: dev commands, server-side commands and the client, one entry. */
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../berth');

async function script(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = freshConfigHome();
  try {
    const { stdout, stderr } = await promisify(execFile)(SCRIPT, args, {
      env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('./berth', () => {
  it('help lists every command, grouped, with --help and help alike', async () => {
    const help = await script(['--help']);
    expect(help.code).toBe(0);
    for (const heading of ['Development:', 'On the server', 'Client of a running Berth']) {
      expect(help.stdout).toContain(heading);
    }
    for (const command of [
      'start',
      'test',
      'bench',
      'lint',
      'pnpm',
      'backup',
      'restore',
      'export',
      'import',
      'encrypt-existing',
      'rotate-root-key',
      'advisories',
      'migrate',
      'login',
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
      expect(help.stdout, command).toMatch(new RegExp(`\\b${command}\\b`));
    }
    expect((await script(['help'])).stdout).toBe(help.stdout);
    expect((await script([])).stdout).toBe(help.stdout);
  });

  it('passes client commands to the client, which refuses unknown ones with exit 2', async () => {
    const unknown = await script(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'berth: unknown command "frobnicate"; run berth --help for the list\n',
    );
    const group = await script(['trash', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/^Usage: berth trash <subcommand>/);
  });

  it('passes server-side commands to their own programs', async () => {
    const migrate = await script(['migrate', '--help']);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/migrate/);
    expect(migrate.stdout).not.toMatch(/^Usage: berth /m);
  });
});
