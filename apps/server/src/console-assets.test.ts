import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/test-server.js';

// The built console's files as a browser gets them: compressed copies chosen by
// Accept-Encoding, hashed files cached for good, everything else revalidated.

const INDEX = '<!doctype html><title>Berth console</title>';
const HASHED = '/assets/index-DCtvljsK.js';
const SCRIPT = `export const words = ${JSON.stringify('a registry console '.repeat(400))};\n`;
let server: TestServer;
let consoleDir: string;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: no client-side decompression, so the bytes on the wire are what is checked. */
function get(target: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${server.url}${target}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-console-assets-'));
  const write = (name: string, body: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(consoleDir, name)), { recursive: true });
    fs.writeFileSync(path.join(consoleDir, name), body);
  };
  write('index.html', INDEX);
  write(HASHED, SCRIPT);
  write(`${HASHED}.br`, brotliCompressSync(SCRIPT));
  write(`${HASHED}.gz`, gzipSync(SCRIPT));
  // Not named with a hash: it may change under this name, so it is never immutable.
  write('/assets/unhashed.css', 'body{margin:0}');
  write('/robots.txt', 'User-agent: *\n');
  server = await startTestServer({ env: { BERTH_CONSOLE_DIR: consoleDir } });
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(consoleDir, { recursive: true, force: true });
});

describe('console assets', () => {
  it('sends the brotli copy to a client that accepts br, with the type and length of what it sends', async () => {
    const res = await get(HASHED, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers.vary).toMatch(/Accept-Encoding/);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(brotliDecompressSync(res.body).toString()).toBe(SCRIPT);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // The security headers every response carries.
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('sends gzip where br is not accepted, and the file itself where neither is', async () => {
    const gz = await get(HASHED, { 'Accept-Encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    // A weight decides over our preference; a wildcard covers both.
    const preferGzip = await get(HASHED, { 'Accept-Encoding': 'br;q=0.5, gzip' });
    expect(preferGzip.headers['content-encoding']).toBe('gzip');
    const wildcard = await get(HASHED, { 'Accept-Encoding': '*' });
    expect(wildcard.headers['content-encoding']).toBe('br');

    const refused = await get(HASHED, { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
    for (const res of [await get(HASHED), refused]) {
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toMatch(/Accept-Encoding/);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.body.toString()).toBe(SCRIPT);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(SCRIPT));
    }
  });

  it('answers a revalidation with 304 per encoding: each copy has its own ETag', async () => {
    const br = await get(HASHED, { 'Accept-Encoding': 'br' });
    const gz = await get(HASHED, { 'Accept-Encoding': 'gzip' });
    expect(br.headers.etag).toBeTruthy();
    expect(br.headers.etag).not.toBe(gz.headers.etag);
    const again = await get(HASHED, {
      'Accept-Encoding': 'br',
      'If-None-Match': String(br.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // The gzip copy's tag does not validate the brotli copy.
    const other = await get(HASHED, {
      'Accept-Encoding': 'br',
      'If-None-Match': String(gz.headers.etag),
    });
    expect(other.status).toBe(200);
  });

  it('answers HEAD with the headers of the GET and no body', async () => {
    const head = await get(HASHED, { 'Accept-Encoding': 'br' }, 'HEAD');
    const full = await get(HASHED, { 'Accept-Encoding': 'br' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.headers['content-length']).toBe(full.headers['content-length']);
    expect(head.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('caches only hashed files for good: others, and the console page, are revalidated', async () => {
    const unhashed = await get('/assets/unhashed.css', { 'Accept-Encoding': 'br, gzip' });
    expect(unhashed.status).toBe(200);
    expect(unhashed.headers['content-type']).toBe('text/css; charset=utf-8');
    // No compressed copy was built for it: sent as it is.
    expect(unhashed.headers['content-encoding']).toBeUndefined();
    expect(unhashed.headers['cache-control']).toBe('no-cache');
    expect((await get('/robots.txt')).headers['cache-control']).toBe('no-cache');
    for (const page of ['/', '/namespaces', '/index.html']) {
      const res = await get(page, { 'Accept-Encoding': 'br, gzip' });
      expect(res.status, page).toBe(200);
      expect(res.headers['cache-control'], page).toBe('no-cache');
      expect(res.body.toString(), page).toBe(INDEX);
    }
  });
});
