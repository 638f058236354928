import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { bearer, signIn } from '../../testing/accounts.js';

let dataDir = '';
afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A real server process at debug level, put through everything that handles a secret; then
 * its whole output and the audit log are searched for each one.
 */
it('never writes a password, API key, session token or secret value to its log or audit', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
  const adminPassword = 'log-test-root-passphrase';
  const server = startServerProcess(dataDir, {
    BERTH_ADMIN_PASSWORD: adminPassword,
    BERTH_LOG_LEVEL: 'debug',
    BERTH_DEMO: '1',
  });
  await until(server.listening, 'the server to listen');
  const url = server.url();

  const admin = await signIn(url, 'admin', adminPassword);
  const login = await request(url)
    .post(apiPaths.session())
    .send({ username: 'admin', password: adminPassword });
  const sessionToken = /=([^;]+)/.exec(
    (login.headers['set-cookie'] as unknown as string[])[0]!,
  )![1]!;
  // A password typed into the username field, and wrong passwords.
  const typo = 'oops-my-password-in-the-name';
  await request(url).post(apiPaths.session()).send({ username: typo, password: 'x' }).expect(401);
  await request(url)
    .post(apiPaths.session())
    .send({ username: 'admin', password: 'wrong-guess-1' })
    .expect(401);

  const userPassword = 'temporary-pass-for-user';
  await admin.agent
    .post(apiPaths.users())
    .send({ username: 'lena', password: userPassword })
    .expect(201);
  const lena = await signIn(url, 'lena', userPassword);
  const lenaPassword = 'chosen-passphrase-nine';
  await lena.agent
    .post(apiPaths.sessionPassword())
    .send({ currentPassword: userPassword, newPassword: lenaPassword })
    .expect(204);
  await admin.agent
    .patch(apiPaths.user('lena'))
    .send({ password: 'reset-phrase-by-admin' })
    .expect(200);

  const key = (
    await admin.agent
      .post(apiPaths.apiKeys())
      .send({ name: 'ci', access: 'read-write' })
      .expect(201)
  ).body.secret as string;
  await bearer(url, key).get(apiPaths.namespaces()).expect(200);
  await bearer(url, `${key.slice(0, -3)}abc`)
    .get(apiPaths.namespaces())
    .expect(401);
  // The registry with the key and the password as Basic credentials.
  await request(url).get('/v2/').auth('admin', key);
  await request(url).get('/v2/').auth('admin', adminPassword);
  await request(url).get('/v2/').auth('admin', 'wrong-registry-guess');

  const project = (
    await bearer(url, key)
      .post(apiPaths.projects())
      .send({ name: 'shop', region: 'local' })
      .expect(201)
  ).body.id as string;
  const secretValue = 'sk_live_do-not-log-this-value';
  await bearer(url, key)
    .post(apiPaths.projectChildren(project, 'secrets'))
    .send({ name: 'stripe', type: 'generic', data: { STRIPE_KEY: secretValue } })
    .expect(201);

  const audit = await bearer(url, key).get(apiPaths.auditCsv()).expect(200);
  await stopServerProcesses();
  const log = server.log.join('');
  expect(log).toContain('"msg":"request completed"');
  expect(audit.text).toContain('session.login');
  const secrets = {
    adminPassword,
    userPassword,
    lenaPassword,
    reset: 'reset-phrase-by-admin',
    typo,
    wrong: 'wrong-guess-1',
    registryGuess: 'wrong-registry-guess',
    keySecret: key.slice(23),
    sessionToken,
    csrf: admin.csrf,
    secretValue,
  };
  for (const [what, value] of Object.entries(secrets)) {
    expect(log.includes(value), `${what} in the log`).toBe(false);
    expect(audit.text.includes(value), `${what} in the audit log`).toBe(false);
    const b64 = Buffer.from(value).toString('base64');
    expect(log.includes(b64), `${what} (base64) in the log`).toBe(false);
  }
  // A real server process and several scrypt checks: over 30 s on a loaded 2-core machine.
}, 120_000);
