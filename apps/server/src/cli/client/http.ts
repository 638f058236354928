import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorBody } from '@berth/contract';
import { CliError, EXIT, exitCodeForStatus } from './exit-codes.js';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface Transport {
  /** Base URL, without a trailing slash. */
  server: string;
  apiKey: string | null;
  /** Skip TLS certificate checks: only when the person asked with --insecure. */
  insecure: boolean;
}

export interface RequestOptions {
  query?: URLSearchParams;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send no Authorization header even when a key is configured (sign-in). */
  anonymous?: boolean;
}

/** An answer outside 2xx, carrying the API's own code and message. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(exitCodeForStatus(status), `${message} (${code}, HTTP ${status})`);
  }
}

const TIMEOUT_MS = 120_000;

/**
 * One request with Node's own http/https (no dependency, and TLS verification can be switched
 * off per request for --insecure instead of for the whole process).
 */
export function send(
  t: Transport,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    request(t, method, path, opts, reject, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
  });
}

/**
 * Sends the request of send and download: headers, key, TLS choice, and the network errors in
 * words.
 */
function request(
  t: Transport,
  method: string,
  path: string,
  opts: RequestOptions,
  reject: (err: Error) => void,
  onResponse: (res: http.IncomingMessage) => void,
): void {
  const qs = opts.query?.toString();
  const url = new URL(`${t.server}${path}${qs ? `?${qs}` : ''}`);
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let payload: Buffer | undefined;
  if (opts.body !== undefined) {
    payload = Buffer.from(JSON.stringify(opts.body));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (t.apiKey && !opts.anonymous) headers.authorization = `Bearer ${t.apiKey}`;
  const lib = url.protocol === 'https:' ? https : http;
  const req = lib.request(
    url,
    {
      method: method.toUpperCase(),
      headers,
      timeout: TIMEOUT_MS,
      ...(url.protocol === 'https:' && t.insecure ? { rejectUnauthorized: false } : {}),
    },
    onResponse,
  );
  req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
  req.on('error', (err: NodeJS.ErrnoException) => {
    const hint =
      err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN'
        ? ' (a self-signed certificate: trust it with NODE_EXTRA_CA_CERTS, or pass --insecure)'
        : '';
    reject(new CliError(EXIT.failed, `cannot reach ${t.server}: ${err.message}${hint}`));
  });
  req.end(payload);
}

export interface Downloaded {
  bytes: number;
  headers: http.IncomingHttpHeaders;
}

/**
 * A large body (a repository export) streamed into `file`, never held in memory. It is written
 * to `<file>.part` and renamed only once exactly Content-Length bytes arrived: the server can
 * only report a failure after the headers by cutting the connection, so a short body must
 * never be left looking like a whole archive.
 */
export async function download(
  t: Transport,
  path: string,
  file: string,
  onProgress: (done: number, total: number) => void,
): Promise<Downloaded> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    request(t, 'get', path, { headers: { accept: '*/*' } }, reject, resolve),
  );
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throwIfFailed({ status, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
  }
  const total = Number(res.headers['content-length']);
  if (!Number.isSafeInteger(total) || total < 0) {
    res.destroy();
    throw new CliError(EXIT.failed, 'the server sent no Content-Length: cannot check the download');
  }
  const part = `${file}.part`;
  let done = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, next) {
      done += chunk.length;
      onProgress(done, total);
      next(null, chunk);
    },
  });
  try {
    await pipeline(res, count, fs.createWriteStream(part, { flags: 'wx', mode: 0o644 }));
  } catch (err) {
    fs.rmSync(part, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') {
      throw new CliError(EXIT.refused, `${part} exists: another download into it may be running`);
    }
    if (e.syscall !== undefined && e.code !== 'ECONNRESET') {
      throw new CliError(EXIT.failed, `cannot write ${part}: ${e.message}`);
    }
    throw new CliError(
      EXIT.failed,
      `the download broke off after ${done} of ${total} bytes; nothing was written to ${file}`,
    );
  }
  // Node's parser already fails a body that ends before its Content-Length (the catch above);
  // this keeps the promise "renamed only when complete" true should a transport ever not.
  if (done !== total) {
    fs.rmSync(part, { force: true });
    throw new CliError(
      EXIT.failed,
      `the download ended after ${done} of ${total} bytes; nothing was written to ${file}`,
    );
  }
  fs.renameSync(part, file);
  return { bytes: done, headers: res.headers };
}

/** Throws the API's error for a non-2xx answer; anything unreadable says what it got. */
export function throwIfFailed(res: HttpResponse): void {
  if (res.status >= 200 && res.status < 300) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    parsed = undefined;
  }
  const body = errorBody.safeParse(parsed);
  if (body.success) throw new ApiError(res.status, body.data.error.code, body.data.error.message);
  throw new ApiError(res.status, 'HTTP_ERROR', `the server answered HTTP ${res.status}`);
}
