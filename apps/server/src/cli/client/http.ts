import http from 'node:http';
import https from 'node:https';
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
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: method.toUpperCase(),
        headers,
        timeout: TIMEOUT_MS,
        ...(url.protocol === 'https:' && t.insecure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
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
      },
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
  });
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
