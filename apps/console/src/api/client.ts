import { errorBody } from '@berth/contract';
import type { z } from 'zod';
import { currentCsrfToken, emitSessionEvent } from './session-events';
import { messageForPeople } from './error-words';

/** Every failure the console can meet, as one shape the UI knows how to show. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** The server's X-Request-Id for this answer: what finds it in the server's log. */
  readonly requestId: string | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError(0, 'client_error', error.message);
  return new ApiError(0, 'client_error', String(error));
}

type QueryValue = string | number | boolean | null | undefined;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  method?: Method;
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

function withQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** Codes after which the console's idea of the session is wrong, whichever call met them. */
function noticeSessionError(status: number, code: string): void {
  if (status === 401 && code === 'UNAUTHENTICATED') emitSessionEvent('ended');
  else if (
    status === 403 &&
    (code === 'PASSWORD_CHANGE_REQUIRED' || code === 'CSRF_TOKEN_INVALID')
  ) {
    emitSessionEvent('stale');
  }
}

export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error a failed answer stands for, from its `{error:{code,message}}` body when it has one. */
export function failureOf(response: Response, json: unknown): ApiError {
  const requestId = response.headers.get('X-Request-Id');
  const parsed = errorBody.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    noticeSessionError(response.status, code);
    return new ApiError(
      response.status,
      code,
      messageForPeople(code, message, requestId),
      details,
      requestId,
    );
  }
  return new ApiError(
    response.status,
    'http_error',
    `The server answered ${response.status} ${response.statusText}.`.replace(' .', '.') +
      (requestId ? ` Request ID: ${requestId}.` : ''),
    undefined,
    requestId,
  );
}

/**
 * Fetches a JSON API path and parses the answer with the contract schema, so a server
 * that drifts from the contract shows up as a clear error, not as `undefined` in a cell.
 */
export async function apiRequest<S extends z.ZodType>(
  path: string,
  schema: S,
  options: RequestOptions = {},
): Promise<z.infer<S>> {
  const { method = 'GET', query, body, signal } = options;
  // The session cookie goes with every request; a change also needs the session's CSRF token.
  const csrf = method === 'GET' ? null : currentCsrfToken();
  let response: Response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      signal,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(csrf ? { 'X-CSRF-Token': csrf } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(
      0,
      'network_error',
      'Cannot reach the Berth server. Check that it is running and try again.',
    );
  }

  const json = await readJson(response);
  if (!response.ok) throw failureOf(response, json);

  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'invalid_response',
      `The server sent an unexpected response for ${path}.`,
      { issues: parsed.error.issues },
    );
  }
  return parsed.data;
}

/**
 * A GET whose answer is not JSON but bytes to show as they are (a manifest exactly as pushed:
 * re-serialising it would change the bytes its digest is of). Failures are ApiErrors as above.
 */
export async function apiText(path: string, signal?: AbortSignal): Promise<string> {
  let response: Response;
  try {
    response = await fetch(path, { signal, credentials: 'same-origin' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(
      0,
      'network_error',
      'Cannot reach the Berth server. Check that it is running and try again.',
    );
  }
  if (!response.ok) throw failureOf(response, await readJson(response));
  return response.text();
}
