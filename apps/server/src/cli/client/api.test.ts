import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, namespaceList, namespaceSummary } from '@berth/contract';
import { createApi, route } from './api.js';
import { CliError } from './exit-codes.js';

/*
 * The typed routes: a client built against one contract refuses to run against another, and
 * an answer that does not match the contract is a failure (exit 1), never silently misread.
 */
describe('typed routes', () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; body: unknown };

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a route the contract does not have, or with another schema, fails at once', () => {
    expect(() => route('get', '/api/v1/namespace-list', namespaceList)).toThrow(/contract drift/);
    expect(() => route('get', '/api/v1/namespaces', namespaceSummary)).toThrow(/another schema/);
    expect(() => route('get', '/api/v1/namespaces', namespaceList)).not.toThrow();
  });

  it('an answer of another shape is exit 1 with what did not match', async () => {
    const api = createApi({ server: url, apiKey: 'k', insecure: false }, () => undefined);
    const list = route('get', '/api/v1/namespaces', namespaceList);
    answer = { status: 200, body: { items: [{ name: 'team-alpha' }], nextCursor: null } };
    const err = await api.call(list, apiPaths.namespaces()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
    expect((err as CliError).message).toMatch(
      /does not match this client's API contract \(items\.0\.region: /,
    );

    answer = { status: 404, body: { error: { code: 'NAMESPACE_UNKNOWN', message: 'gone' } } };
    const missing = await api.call(list, apiPaths.namespaces()).catch((e: unknown) => e);
    expect((missing as CliError).exitCode).toBe(3);
    expect((missing as CliError).message).toBe('gone (NAMESPACE_UNKNOWN, HTTP 404)');

    await expect(api.call(list, apiPaths.namespace('x'))).rejects.toThrow(/is not a path of/);
  });
});
