import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROUTES } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';

// The console's own routes get its index.html; every other unknown path a JSON 404.

const INDEX = '<!doctype html><title>Berth console</title>';
let server: TestServer;
let bare: TestServer;
let consoleDir: string;

/** A concrete path for a route pattern: parameters and splats filled in. */
function pathOf(pattern: string): string {
  return `/${pattern.replace(/:[A-Za-z]+/g, 'team-a').replace('*', 'app/sub')}`;
}

function expectRouteUnknown(res: request.Response, method: string, target: string) {
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({
    error: { code: 'ROUTE_UNKNOWN', message: `no route ${method} ${target}` },
  });
}

beforeAll(async () => {
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-console-'));
  fs.writeFileSync(path.join(consoleDir, 'index.html'), INDEX);
  fs.mkdirSync(path.join(consoleDir, 'assets'));
  fs.writeFileSync(path.join(consoleDir, 'assets', 'app.js'), 'console.log(1);');
  [server, bare] = await Promise.all([
    startTestServer({ env: { BERTH_CONSOLE_DIR: consoleDir } }),
    startTestServer(),
  ]);
});

afterAll(async () => {
  await server?.stop();
  await bare?.stop();
  fs.rmSync(consoleDir, { recursive: true, force: true });
});

describe('console routes and unknown paths', () => {
  it('every console route, and paths deeper in its sections, get the console page', async () => {
    const paths = [
      '/',
      ...Object.values(CONSOLE_ROUTES).map(pathOf),
      // The console shows its own "not found" page for these.
      '/admin/no-such-page',
      '/namespaces/team-a/no-such-tab',
    ];
    for (const target of paths) {
      const res = await request(server.url).get(target);
      expect(res.status, target).toBe(200);
      expect(res.headers['content-type'], target).toMatch(/^text\/html/);
      expect(res.text).toBe(INDEX);
    }
    const asset = await request(server.url).get('/assets/app.js').expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('any other unknown path is a JSON 404 ROUTE_UNKNOWN, for every method', async () => {
    for (const target of [
      '/v1/_ping',
      '/v1/repositories/x/images',
      '/foo.json',
      '/assets/gone.js',
      '/namespacesx',
    ]) {
      expectRouteUnknown(await request(server.url).get(target), 'GET', target);
      expectRouteUnknown(await request(bare.url).get(target), 'GET', target);
    }
    expectRouteUnknown(await request(server.url).post('/namespaces'), 'POST', '/namespaces');
    expectRouteUnknown(await request(server.url).delete('/foo'), 'DELETE', '/foo');
    expectRouteUnknown(
      await server.api().get('/api/v1/no-such-thing'),
      'GET',
      '/api/v1/no-such-thing',
    );
  });
});
