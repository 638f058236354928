import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * skopeo as a person would run it against a local Berth over plain HTTP, with an empty auth
 * file so nothing from the machine's own credentials is used. `creds` (user:password, or
 * user:API key) go to whichever side of a copy is a registry.
 */
export async function skopeo(creds: string | null, ...args: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-e2e-skopeo-'));
  const auth = path.join(dir, 'auth.json');
  await writeFile(auth, '{}');
  const credentials: string[] = [];
  if (creds && args[0] === 'copy') {
    if (args[1]?.startsWith('docker://')) credentials.push('--src-creds', creds);
    if (args[2]?.startsWith('docker://')) credentials.push('--dest-creds', creds);
  } else if (creds) {
    credentials.push('--creds', creds);
  }
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
          ...credentials,
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
