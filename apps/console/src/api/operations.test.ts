import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { repositoriesTrashed } from '@berth/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from './client';
import { buildOperation } from './operation-builder';
import {
  operationResult,
  requestBulk,
  RUNNING_LIST_POLL_MS,
  runningListInterval,
} from './operations';

const trashed = {
  repositories: [{ name: 'payments', images: 12, sizeBytes: 4096 }],
  images: 12,
  sizeBytes: 4096,
};

const running = buildOperation();

// A real HTTP server answering as the bulk endpoints do: the old body for a set that fits in
// one chunk, 202 with the operation (and Location) for a larger one.
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((request, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/small') send(200, trashed);
    else if (request.url === '/large') {
      send(202, { operation: running }, { Location: '/api/v1/operations/7' });
    } else if (request.url === '/drifted') send(200, { images: 'twelve' });
    else send(404, { error: { code: 'NOT_FOUND', message: 'no such path' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a bulk endpoint answers with its result or with an operation', () => {
  it('reads a 200 as the result, in its old shape', async () => {
    const answer = await requestBulk(`${base}/small`, repositoriesTrashed, { method: 'DELETE' });
    expect(answer).toEqual({ kind: 'done', result: trashed });
  });

  it('reads a 202 as the operation to follow', async () => {
    const answer = await requestBulk(`${base}/large`, repositoriesTrashed, { method: 'DELETE' });
    expect(answer).toEqual({ kind: 'accepted', operation: running });
  });

  it('refuses a body that is neither, with an error in words', async () => {
    const failure = await requestBulk(`${base}/drifted`, repositoriesTrashed, {
      method: 'DELETE',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe('invalid_response');
    expect((failure as ApiError).message).toMatch(/unexpected response/);
  });

  it('passes an error answer on as it is', async () => {
    const failure = await requestBulk(`${base}/missing`, repositoriesTrashed, {
      method: 'DELETE',
    }).catch((error: unknown) => error);
    expect((failure as ApiError).status).toBe(404);
    expect((failure as ApiError).message).toBe('No such path.');
  });
});

describe('the result of a finished operation', () => {
  it('is the body the endpoint answers for a small set', () => {
    const finished = { ...running, state: 'succeeded' as const, result: trashed };
    expect(operationResult(finished, repositoriesTrashed)).toEqual(trashed);
  });

  it('is nothing while it runs, after a failure, or when it is not that body', () => {
    expect(operationResult({ ...running, result: trashed }, repositoriesTrashed)).toBeNull();
    expect(
      operationResult({ ...running, state: 'failed', result: trashed }, repositoriesTrashed),
    ).toBeNull();
    expect(
      operationResult({ ...running, state: 'succeeded', result: { x: 1 } }, repositoriesTrashed),
    ).toBeNull();
  });
});

describe('how often an open page asks what is running', () => {
  const list = (items: (typeof running)[]) => ({ items, nextCursor: null });

  it('every few seconds while something runs, less often when nothing does', () => {
    expect(runningListInterval(list([running]), null)).toBe(RUNNING_LIST_POLL_MS.busy);
    expect(runningListInterval(list([]), null)).toBe(RUNNING_LIST_POLL_MS.idle);
    expect(runningListInterval(undefined, null)).toBe(RUNNING_LIST_POLL_MS.idle);
    expect(RUNNING_LIST_POLL_MS.busy).toBeLessThanOrEqual(5_000);
    expect(RUNNING_LIST_POLL_MS.idle).toBeGreaterThan(RUNNING_LIST_POLL_MS.busy);
  });

  it('slowly after a network failure or 5xx, never again after a 4xx', () => {
    expect(runningListInterval(undefined, new ApiError(0, 'network', 'offline'))).toBe(
      RUNNING_LIST_POLL_MS.idle,
    );
    expect(runningListInterval(list([running]), new ApiError(503, 'UNAVAILABLE', 'busy'))).toBe(
      RUNNING_LIST_POLL_MS.idle,
    );
    expect(runningListInterval(undefined, new ApiError(401, 'UNAUTHENTICATED', 'signed out'))).toBe(
      false,
    );
  });
});
