import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * skopeo as a person would run it against a local Berth over plain HTTP, with an empty auth
 * file so nothing from the machine's own credentials is used.
 */
export async function skopeo(...args: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-e2e-skopeo-'));
  const auth = path.join(dir, 'auth.json');
  await writeFile(auth, '{}');
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        'skopeo',
        [
          ...args.slice(0, 1),
          '--authfile',
          auth,
          '--retry-times',
          '0',
          ...(args[0] === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : []),
          ...args.slice(1),
        ],
        { env: { ...process.env, TMPDIR: dir }, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`skopeo ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
