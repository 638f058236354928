import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server: multi-process tests run what an operator runs. */
export const SERVER_MAIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/main.js',
);

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it wrote, as chunks. */
  log: string[];
  listening(): boolean;
  /** Where it listens, once it does. */
  url(): string;
}

const running: ChildProcess[] = [];

/**
 * A real server process on a data directory another process may share, ticking its scheduled
 * work every 50 ms. It finds the root key in the directory's key file, as the seeder left it.
 */
export function startServerProcess(
  dataDir: string,
  extraEnv: Record<string, string> = {},
): ServerProcess {
  if (!fs.existsSync(SERVER_MAIN))
    throw new Error(`${SERVER_MAIN} is missing: build the server first`);
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  // Keys and the first admin come from the data directory (or the test), not the shell.
  delete inherited.BERTH_ROOT_KEY;
  delete inherited.BERTH_ROOT_KEY_FILE;
  delete inherited.BERTH_ADMIN_PASSWORD;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    BERTH_DATA_DIR: dataDir,
    BERTH_PORT: '0',
    BERTH_HOST: '127.0.0.1',
    BERTH_DEMO: '0',
    BERTH_REGIONS: 'local,eu-west',
    BERTH_LOG_LEVEL: 'info',
    BERTH_SCHEDULER_INTERVAL_MS: '50',
    ...extraEnv,
  };
  const log: string[] = [];
  const child = spawn(process.execPath, [SERVER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  running.push(child);
  return {
    child,
    log,
    listening: () => log.join('').includes('"msg":"listening"'),
    url: () => {
      const port = /"port":(\d+)[^\n]*"msg":"listening"/.exec(log.join(''))?.[1];
      if (!port) throw new Error('the server is not listening yet');
      return `http://127.0.0.1:${port}`;
    },
  };
}

/** Stops every process started here; for afterEach. */
export async function stopServerProcesses(): Promise<void> {
  for (const child of running.splice(0)) {
    // A killed process (kill -9 in a test) has a signalCode and no exitCode: it is gone too.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
