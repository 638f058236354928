import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { selfSignedCertificate } from '../testing/certificates.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

let server: TestServer;
let certDir = '';
let cert = '';
let key = '';

beforeAll(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-tls-'));
  ({ cert, key } = selfSignedCertificate(certDir, 'server'));
  server = await startTestServer({
    env: {
      BERTH_TLS_CERT: cert,
      BERTH_TLS_KEY: key,
    },
  });
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(certDir, { recursive: true, force: true });
});

it('serves HTTPS with HSTS and a Secure, host-only session cookie', async () => {
  const url = server.url.replace('http:', 'https:');
  const res = await request(url)
    .post(apiPaths.session())
    .disableTLSCerts()
    .send({ username: ADMIN.username, password: ADMIN.password })
    .expect(200);
  expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
  expect(cookie).toMatch(/^__Host-berth_session=/);
  expect(cookie).toMatch(/; Secure/);
  expect(cookie).toMatch(/; Path=\//);
  expect(cookie).not.toMatch(/Domain=/);
  const health = await request(url).get(apiPaths.health()).disableTLSCerts().expect(200);
  expect(health.headers['x-content-type-options']).toBe('nosniff');
  // Plain HTTP on the TLS port gets no answer a browser could use.
  await expect(request(server.url).get(apiPaths.health())).rejects.toThrow();
});

it('refuses half a TLS configuration at start-up', async () => {
  await expect(startTestServer({ env: { BERTH_TLS_CERT: cert } })).rejects.toThrow(
    /BERTH_TLS_CERT and BERTH_TLS_KEY/,
  );
});
