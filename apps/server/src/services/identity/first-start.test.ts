import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { signIn } from '../../testing/accounts.js';

let dataDir = '';
afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

it('prints a one-time admin password once, keeps it out of the log, and makes it be changed', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-first-'));
  const first = startServerProcess(dataDir);
  await until(first.listening, 'the server to listen');
  const output = first.log.join('');
  const password = /One-time password: (\S+)/.exec(output)?.[1];
  expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  // Only the banner line carries it: no JSON log line does.
  const logLines = output.split('\n').filter((l) => l.startsWith('{'));
  expect(logLines.some((l) => l.includes('one-time password'))).toBe(true);
  expect(logLines.filter((l) => l.includes(password!))).toEqual([]);

  const session = await signIn(first.url(), 'admin', password!);
  const me = await session.agent.get(apiPaths.session()).expect(200);
  expect(me.body.user).toMatchObject({ username: 'admin', admin: true, mustChangePassword: true });
  await session.agent.get(apiPaths.namespaces()).expect(403);
  await session.agent
    .post(apiPaths.sessionPassword())
    .send({ currentPassword: password, newPassword: 'harbour-lights-at-dawn' })
    .expect(204);
  await session.agent.get(apiPaths.namespaces()).expect(200);
  await stopServerProcesses();

  // A restart finds the admin and prints nothing.
  const second = startServerProcess(dataDir);
  await until(second.listening, 'the restarted server to listen');
  expect(second.log.join('')).not.toContain('One-time password');
  const res = await request(second.url())
    .post(apiPaths.session())
    .send({ username: 'admin', password });
  expect(res.status).toBe(401);
  await signIn(second.url(), 'admin', 'harbour-lights-at-dawn');
});

it('creates the first admin from the environment, and refuses a weak one', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-first-'));
  const weak = startServerProcess(dataDir, {
    BERTH_ADMIN_USERNAME: 'root',
    BERTH_ADMIN_PASSWORD: 'root-password-1',
  });
  await new Promise((resolve) => weak.child.once('exit', resolve));
  expect(weak.child.exitCode).not.toBe(0);
  expect(weak.log.join('')).toMatch(/must not contain the username/);

  const ok = startServerProcess(dataDir, {
    BERTH_ADMIN_USERNAME: 'root',
    BERTH_ADMIN_PASSWORD: 'a-strong-secret-phrase',
  });
  await until(ok.listening, 'the server to listen');
  expect(ok.log.join('')).not.toContain('One-time password');
  expect(ok.log.join('')).not.toContain('a-strong-secret-phrase');
  const session = await signIn(ok.url(), 'root', 'a-strong-secret-phrase');
  await session.agent.get(apiPaths.namespaces()).expect(200);
});
