import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from './client';
import { downloadRepositoryLayout, type DownloadSink } from './repository-export';

let server: Server;
beforeAll(async () => {
  // A real server on a socket: what the download reads is a real HTTP stream.
  server = createServer((request, response) => {
    const repo = /repositories\/([^/]+)\/export$/.exec(request.url ?? '')?.[1];
    if (repo === 'whole') {
      response.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': '1000' });
      response.end(Buffer.alloc(1000, 7));
    } else if (repo === 'cut') {
      // What the server does when a blob fails its digest check mid-way.
      response.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': '1000' });
      response.write(Buffer.alloc(500, 7), () => setTimeout(() => response.destroy(), 20));
    } else {
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'NAME_UNKNOWN', message: 'no such repository' } }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const realFetch = globalThis.fetch;
  // The console calls same-origin paths; here they go to the test server.
  vi.stubGlobal('fetch', (path: string, init?: RequestInit) => realFetch(`${base}${path}`, init));
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function memorySink() {
  const state = { bytes: 0, closed: false, aborted: false };
  const sink: DownloadSink = {
    write: async (chunk) => {
      state.bytes += chunk.byteLength;
    },
    close: async () => {
      state.closed = true;
    },
    abort: async () => {
      state.aborted = true;
    },
  };
  return { state, sink };
}

describe('downloading a repository layout', () => {
  it('streams every byte into the file and reports progress against Content-Length', async () => {
    const { state, sink } = memorySink();
    const seen: number[] = [];
    const done = await downloadRepositoryLayout('shop', 'whole', sink, {
      signal: new AbortController().signal,
      onProgress: (p) => seen.push(p.total),
    });
    expect(done).toEqual({ received: 1000, total: 1000 });
    expect(state).toEqual({ bytes: 1000, closed: true, aborted: false });
    expect(new Set(seen)).toEqual(new Set([1000]));
  });

  it('discards a download the server cut short and says so', async () => {
    const { state, sink } = memorySink();
    const failure = await downloadRepositoryLayout('shop', 'cut', sink, {
      signal: new AbortController().signal,
      onProgress: () => {},
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).message).toMatch(/stopped after 500 of 1000 bytes/);
    expect(state.closed).toBe(false);
    expect(state.aborted).toBe(true);
  });

  it('passes the server error on in words', async () => {
    const { state, sink } = memorySink();
    const failure = await downloadRepositoryLayout('shop', 'missing', sink, {
      signal: new AbortController().signal,
      onProgress: () => {},
    }).catch((error: unknown) => error);
    expect((failure as ApiError).status).toBe(404);
    expect((failure as ApiError).message).toMatch(/no such repository/i);
    expect(state.aborted).toBe(true);
  });
});
