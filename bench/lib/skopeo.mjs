// skopeo as the benchmarks run it: a configuration of its own (policy, registries, auth file,
// temp dir) under the run's scratch directory, so nothing on the machine changes what it does.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './process.mjs';

/**
 * skopeo with its own policy, registries.conf, registries.d, auth file and temp dir under
 * `scratch` (`root` is cut from the labels of failures). `creds`
 * gives user:password for the source and destination registries ({ src, dest }), if they want it.
 */
export function skopeoSetup(scratch, root) {
  const dir = path.join(scratch, 'skopeo');
  const regsD = path.join(dir, 'registries.d');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(regsD, { recursive: true });
  fs.mkdirSync(tmp, { recursive: true });
  const policy = path.join(dir, 'policy.json');
  const auth = path.join(dir, 'auth.json');
  const conf = path.join(dir, 'registries.conf');
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  fs.writeFileSync(auth, '{}');
  fs.writeFileSync(conf, '');
  const global = ['--policy', policy, '--registries.d', regsD, '--tmpdir', tmp];
  const skopeoEnv = {
    ...process.env,
    CONTAINERS_REGISTRIES_CONF: conf,
    REGISTRY_AUTH_FILE: auth,
    TMPDIR: tmp,
  };
  return (src, dest, creds = {}) =>
    run(
      'skopeo',
      [
        ...global,
        'copy',
        '--quiet',
        '--authfile',
        auth,
        ...(creds.src ? ['--src-creds', creds.src] : []),
        ...(creds.dest ? ['--dest-creds', creds.dest] : []),
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--retry-times',
        '0',
        src,
        dest,
      ],
      {
        env: skopeoEnv,
        label: `skopeo copy ${src.replace(`${root}/`, '')} ${dest.replace(`${root}/`, '')}`,
      },
    );
}
