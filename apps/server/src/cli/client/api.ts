import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { apiPaths, apiRoutes, operation, operationAccepted, type RouteSpec } from '@berth/contract';
import { CliError, EXIT, usageError } from './exit-codes.js';
import { type Downloaded, download, send, throwIfFailed, type Transport } from './http.js';

type Method = RouteSpec['method'];

/**
 * One API route as the client uses it: found in the contract's route table by method and
 * path template, with the response and body schemas the client was written against. When the
 * contract no longer has the route, or its schemas differ from those the command imports, the
 * client fails at start-up (and so in every test), instead of talking past the server.
 */
export interface Route<R extends z.ZodType | null, B extends z.ZodType | null> {
  method: Method;
  template: string;
  response: R;
  body: B;
  query: z.ZodType | null;
  /** The status of the route's direct answer: 202 for a request queued (a scan), not an operation. */
  status: number;
}

export function route<R extends z.ZodType | null, B extends z.ZodType | null = null>(
  method: Method,
  template: string,
  response: R,
  body: B = null as B,
): Route<R, B> {
  const spec = apiRoutes.find((r) => r.method === method && r.path === template);
  if (!spec) throw new Error(`contract drift: the API has no ${method.toUpperCase()} ${template}`);
  if ((spec.response ?? null) !== response) {
    throw new Error(`contract drift: ${method.toUpperCase()} ${template} answers another schema`);
  }
  if ((spec.body ?? null) !== body) {
    throw new Error(`contract drift: ${method.toUpperCase()} ${template} takes another body`);
  }
  return { method, template, response, body, query: spec.query ?? null, status: spec.status };
}

type Output<R> = R extends z.ZodType ? z.output<R> : undefined;
type Input<B> = B extends z.ZodType ? z.input<B> : never;

export interface CallOptions<B> {
  query?: Record<string, string | number | boolean | undefined>;
  body?: Input<B>;
  /** Extra headers: the session cookie and CSRF token while signing in. */
  headers?: Record<string, string>;
  /** Send without the API key (signing in with a password). */
  anonymous?: boolean;
  /** Sees the answer's headers (the session cookie). */
  onHeaders?: (headers: IncomingHttpHeaders) => void;
}

/** The path must be one apiPaths built for this template: both come from the contract. */
function matchesTemplate(template: string, path: string): boolean {
  const pattern = template
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}$`).test(path);
}

function zodMessage(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return 'invalid input';
  const where = first.path.join('.');
  return where ? `${where}: ${first.message}` : first.message;
}

export interface Api {
  transport: Transport;
  call<R extends z.ZodType | null, B extends z.ZodType | null>(
    r: Route<R, B>,
    path: string,
    opts?: CallOptions<B>,
  ): Promise<Output<R>>;
  /** The raw body of a route without a JSON schema (CSV exports). */
  text(r: Route<null, null>, path: string, query?: CallOptions<null>['query']): Promise<string>;
  /** A route's body streamed into a file, checked against its Content-Length (exports). */
  download(
    r: Route<null, null>,
    path: string,
    file: string,
    onProgress: (done: number, total: number) => void,
  ): Promise<Downloaded>;
}

const operationRoute = route('get', '/api/v1/operations/{operation}', operation);

/** How often a running operation is asked about: quick enough to feel live, cheap for the server. */
const POLL_MS = 400;

export function createApi(transport: Transport, progress: (line: string | null) => void): Api {
  function queryOf(r: Route<z.ZodType | null, z.ZodType | null>, q: CallOptions<null>['query']) {
    const params = new URLSearchParams();
    if (!q) return params;
    const given = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
    // Checked against the route's own query schema first: a bad --limit is a usage error
    // here, with the contract's message, before anything is sent.
    if (r.query) {
      const parsed = r.query.safeParse(given);
      if (!parsed.success) throw usageError(zodMessage(parsed.error));
    }
    for (const [k, v] of Object.entries(given)) params.set(k, String(v));
    return params;
  }

  function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new CliError(
        EXIT.failed,
        `the server's answer to ${what} does not match this client's API contract (${zodMessage(parsed.error)}); is the server a different version?`,
      );
    }
    return parsed.data;
  }

  async function follow(id: string): Promise<unknown> {
    for (;;) {
      const res = await send(transport, 'get', apiPaths.operation(id));
      throwIfFailed(res);
      const op = parseAnswer(operation, JSON.parse(res.text), operationRoute.template);
      if (op.state === 'succeeded') {
        progress(null);
        return op.result;
      }
      if (op.state === 'failed') {
        progress(null);
        const undone = op.rolledBack ? `; undone: ${op.rolledBack.images} images put back` : '';
        throw new CliError(
          EXIT.failed,
          `${op.target}: ${op.error?.message ?? 'the operation failed'}${undone} (operation ${op.id})`,
        );
      }
      const waiting = op.waiting ? ` (waiting: ${op.waiting.message})` : '';
      progress(`${op.target}: ${op.done} of ${op.total} images${waiting}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  return {
    transport,
    async call(r, path, opts = {}) {
      if (!matchesTemplate(r.template, path)) {
        throw new Error(`contract drift: ${path} is not a path of ${r.template}`);
      }
      let body: unknown;
      if (r.body) {
        const parsed = r.body.safeParse(opts.body);
        if (!parsed.success) throw usageError(zodMessage(parsed.error));
        body = parsed.data;
      }
      const res = await send(transport, r.method, path, {
        query: queryOf(r, opts.query),
        body,
        headers: opts.headers,
        anonymous: opts.anonymous,
      });
      throwIfFailed(res);
      opts.onHeaders?.(res.headers);
      const what = `${r.method.toUpperCase()} ${r.template}`;
      if (res.status === 202 && r.status !== 202) {
        // Bulk work larger than one chunk answers with an operation to follow to its end;
        // its result has the same shape as the direct answer. A route whose own answer is
        // 202 (a scan queued) is not such work.
        const accepted = parseAnswer(operationAccepted, JSON.parse(res.text), what);
        const result = await follow(accepted.operation.id);
        return (r.response ? parseAnswer(r.response, result, what) : undefined) as never;
      }
      if (!r.response) return undefined as never;
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        throw new CliError(EXIT.failed, `the server's answer to ${what} is not JSON`);
      }
      return parseAnswer(r.response, json, what) as never;
    },
    async text(r, path, query) {
      if (!matchesTemplate(r.template, path)) {
        throw new Error(`contract drift: ${path} is not a path of ${r.template}`);
      }
      const res = await send(transport, r.method, path, { query: queryOf(r, query) });
      throwIfFailed(res);
      return res.text;
    },
    download(r, path, file, onProgress) {
      if (!matchesTemplate(r.template, path)) {
        throw new Error(`contract drift: ${path} is not a path of ${r.template}`);
      }
      return download(transport, path, file, onProgress);
    },
  };
}

/** Follows a cursor-paged list: one page (of --limit) unless --all. */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  all: boolean,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (!page.nextCursor) return { items, more: false };
    if (!all) return { items, more: true };
    cursor = page.nextCursor;
  }
}
