import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { seedSmallRegistry, type SmallRegistry, trashSmallRegistry } from './fixtures.js';
import { startTestServer, type TestServer } from './test-server.js';

/** The built client, run as people run it: `berth` is this file (build the server first). */
export const BERTH_CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/cli/berth.js',
);

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Environment on top of a clean one (PATH, and HOME / XDG_CONFIG_HOME in a temp dir). */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Run in a pseudo-terminal (util-linux `script`), as a person would. */
  tty?: boolean;
  /** Type the input only once the terminal shows this (a prompt), as a person would. */
  waitFor?: string;
}

/** A config directory of its own, so no test reads the machine's login or another test's. */
export function freshConfigHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-config-'));
}

export function runBerth(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const home = opts.env?.XDG_CONFIG_HOME ?? freshConfigHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const [command, argv] = opts.tty
    ? [
        'script',
        ['-qfec', [process.execPath, BERTH_CLI, ...args].map(quote).join(' '), '/dev/null'],
      ]
    : [process.execPath, [BERTH_CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let typed = false;
    const type = () => {
      if (typed || opts.input === undefined) return;
      typed = true;
      child.stdin.write(opts.input);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (opts.waitFor && stdout.includes(opts.waitFor)) type();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (!opts.waitFor) type();
    // A terminal stays open while the person types; `script` ends the session on EOF.
    if (!opts.tty) child.stdin.end();
    else setTimeout(() => child.stdin.end(), 5_000).unref();
  });
}

/** `berth` pointed at a test server with its admin key (override with opts.env). */
export function berthAt(server: TestServer) {
  return (args: string[], opts: CliOptions = {}) =>
    runBerth(args, {
      ...opts,
      env: { BERTH_URL: server.url, BERTH_API_KEY: server.adminKey, ...opts.env },
    });
}

export interface BerthServer {
  /** Set once the block's beforeAll ran. */
  server: TestServer;
  /** The small registry, when the server was seeded with it. */
  reg: SmallRegistry;
  /** `berth` as the server's admin (berthAt). */
  berth: (args: string[], opts?: CliOptions) => Promise<CliRun>;
}

/**
 * The set-up of a describe block of client tests: a test server started before its tests and
 * stopped after them, seeded with the small registry (`seed: 'small'`), or with it and then
 * part of it in the trash as trashSmallRegistry leaves it (`seed: 'trashed'`).
 */
export function useBerthServer(
  opts: { seed?: 'small' | 'trashed'; env?: Record<string, string> } = {},
): BerthServer {
  const cli = {
    berth: (args: string[], runOpts?: CliOptions) => berthAt(cli.server)(args, runOpts),
  } as BerthServer;
  beforeAll(async () => {
    cli.server = await startTestServer({ env: opts.env });
    if (opts.seed === undefined) return;
    cli.reg = await seedSmallRegistry(cli.server);
    if (opts.seed === 'trashed') await trashSmallRegistry(cli.server, cli.reg);
  });
  afterAll(() => cli.server?.stop());
  return cli;
}
