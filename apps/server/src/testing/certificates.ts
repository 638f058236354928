import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * A throwaway self-signed P-256 certificate for 127.0.0.1, written as `<name>.crt` and
 * `<name>.key` in `dir` (openssl is a Debian package that `.ci/run` installs).
 */
export function selfSignedCertificate(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
