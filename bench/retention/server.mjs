// The built Berth server as a child process, and a keep-alive JSON client for its API that
// sends the admin's API key with every request once the server is up.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminKey, berthEnv } from '../lib/credentials.mjs';
import { track } from '../lib/process.mjs';

/** A request that took longer than its time limit (the connection is dropped). */
export class RequestTimeout extends Error {}

export class ApiClient {
  constructor(port) {
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    /** Sent with every request: `authorization` once signed in. */
    this.headers = {};
  }

  close() {
    this.agent.destroy();
  }

  /**
   * Sends one request and reads the whole answer. `ms` is the wall time from sending to the
   * last byte of the body; with `count` the body is only counted (bytes, lines), never kept.
   */
  request(method, target, { json, timeoutMs = 300_000, count = false } = {}) {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers = { ...this.headers, accept: 'application/json' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        { host: '127.0.0.1', port: this.port, path: target, method, headers, agent: this.agent },
        (res) => {
          const chunks = [];
          let bytes = 0;
          let lines = 0;
          res.on('data', (c) => {
            bytes += c.length;
            if (!count || res.statusCode !== 200) chunks.push(c);
            else for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode,
              headers: res.headers,
              body: Buffer.concat(chunks),
              bytes,
              lines,
              ms: performance.now() - started,
            });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new RequestTimeout(`${method} ${target}: no complete answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  /** The request, which must answer `status`; the body parsed as JSON unless `count`. */
  async expect(status, method, target, opts = {}) {
    const res = await this.request(method, target, opts);
    if (res.status !== status) {
      throw new Error(
        `${method} ${target} -> ${res.status} (expected ${status}): ${res.body.toString('utf8').slice(0, 400)}`,
      );
    }
    return { ...res, data: opts.count ? null : JSON.parse(res.body.toString('utf8')) };
  }
}

/**
 * Starts apps/server/dist/main.js on `dataDir`, waits for /api/v1/health, and signs the client
 * in: an API key of the first admin as `Authorization: Bearer`.
 */
export async function startBerth({ serverMain, dataDir, port, label }) {
  const child = track(
    spawn(process.execPath, [serverMain], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: berthEnv({ dataDir, port }),
    }),
  );
  // Warnings and errors are passed on as they come, with the server's name in front.
  const kept = [];
  const forward = (chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      kept.push(line);
      if (kept.length > 40) kept.shift();
      process.stderr.write(`[${label}] ${line}\n`);
    }
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const client = new ApiClient(port);
  const started = performance.now();
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  let startupMs = null;
  while (startupMs === null && Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      client.close();
      throw new Error(
        `${label} exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${kept.join('\n')}`,
      );
    }
    try {
      const res = await client.request('GET', '/api/v1/health', { timeoutMs: 5000 });
      if (res.status === 200) {
        startupMs = performance.now() - started;
        break;
      }
      last = `GET /api/v1/health -> ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(200);
  }
  try {
    if (startupMs === null) throw new Error(`${label} was not healthy within 120 s: ${last}`);
    client.headers.authorization = `Bearer ${await adminKey(`http://127.0.0.1:${port}`)}`;
  } catch (err) {
    client.close();
    child.kill('SIGKILL');
    throw err;
  }
  return { child, pid: child.pid, port, client, startupMs };
}
