import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server-side commands (build the server first), run as an operator runs them. */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Settings that name an installation: a command under test must get them only from the test,
 * never from whatever environment the test run happens to have.
 */
const INSTALLATION_SETTINGS = [
  'BERTH_DATA_DIR',
  'BERTH_ROOT_KEY',
  'BERTH_ROOT_KEY_FILE',
  'BERTH_DATABASE_URL',
  'BERTH_BLOB_STORE',
];

/** `node apps/server/dist/cli/<command>.js args…` as a child process, with `env` on top. */
export function runServerCli(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INSTALLATION_SETTINGS) delete childEnv[name];
  Object.assign(childEnv, env);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(DIST, `${command}.js`), ...args],
      { env: childEnv, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}
