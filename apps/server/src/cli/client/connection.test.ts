import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../testing/certificates.js';
import { runBerth } from '../../testing/berth-cli.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

/* Over HTTPS: the certificate is checked unless the person asks otherwise with --insecure. */
describe('berth over HTTPS', () => {
  let server: TestServer;
  let certDir: string;
  let url: string;

  beforeAll(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-tls-'));
    const { cert, key } = selfSignedCertificate(certDir, 'server');
    server = await startTestServer({ env: { BERTH_TLS_CERT: cert, BERTH_TLS_KEY: key } });
    url = server.url.replace(/^http:/, 'https:');
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate (exit 1, with what to do), and accepts it with --insecure', async () => {
    const env = { BERTH_URL: url, BERTH_API_KEY: server.adminKey };
    const checked = await runBerth(['namespaces', 'list'], { env });
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(
      /^berth: cannot reach https:\/\/127\.0\.0\.1:\d+: .*pass --insecure\)\n$/,
    );
    const insecure = await runBerth(['namespaces', 'list', '--insecure', '-o', 'json'], { env });
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(JSON.parse(insecure.stdout)).toEqual([]);
  });
});
