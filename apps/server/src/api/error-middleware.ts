import type { ErrorRequestHandler } from 'express';
import { BerthError, RateLimitedError, StorageFullError } from '@berth/domain';
import { z } from 'zod';
import type { Logger } from 'pino';
import { IntegrityError } from '../services/encryption/integrity-error.js';

/** The HTTP status of each kind of business error, for every JSON error answer. */
export const HTTP_STATUS: Record<BerthError['kind'], number> = {
  input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  /** WebDAV's Insufficient Storage, which HTTP keeps for exactly this: no room to store it. */
  storage_full: 507,
};

/**
 * A refused write on a full disk is the operator's business, so it is logged (with the
 * low-level cause: SQLITE_FULL, ENOSPC and the path) as well as answered.
 */
export function logStorageFull(logger: Logger, err: unknown): void {
  if (err instanceof StorageFullError) {
    logger.warn({ err: err.cause ?? err }, 'storage is full: a write was refused');
  }
}

interface HttpishError {
  type?: string;
  status?: number;
}

/**
 * The one place errors become HTTP. Business errors keep their code and message; body
 * parser errors get their own codes; anything else is a 500 whose details stay in the log.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const send = (
      status: number,
      code: string,
      message: string,
      details?: Record<string, unknown>,
    ) => {
      res.status(status).json({ error: { code, message, ...(details ? { details } : {}) } });
    };
    if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfterSeconds));
    logStorageFull((req as { log?: Logger }).log ?? logger, err);
    if (err instanceof BerthError)
      return send(HTTP_STATUS[err.kind], err.code, err.message, err.details);
    // Stored data that does not authenticate: a 500 that says which and what to do (logged
    // where it was found), not the generic one, whose details stay in the log.
    if (err instanceof IntegrityError) return send(500, err.code, err.message, err.details);
    if (err instanceof z.ZodError) {
      const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      return send(
        400,
        'INVALID_REQUEST',
        first ? `${first.path || 'request'}: ${first.message}` : 'invalid request',
        {
          issues,
        },
      );
    }
    const h = err as HttpishError;
    if (h?.type === 'entity.too.large')
      return send(413, 'BODY_TOO_LARGE', 'request body is larger than the limit of 256 KiB');
    if (h?.type === 'entity.parse.failed')
      return send(400, 'INVALID_JSON', 'request body is not valid JSON');
    if (err instanceof URIError) {
      return send(400, 'INVALID_PATH', 'the URL path is not valid percent-encoding');
    }
    if (typeof h?.status === 'number' && h.status >= 400 && h.status < 500) {
      return send(h.status, 'BAD_REQUEST', 'the request could not be read');
    }
    const log = (req as { log?: Logger }).log ?? logger;
    log.error({ err }, 'unhandled error');
    send(500, 'INTERNAL', 'something went wrong on the server; the error is in its log');
  };
}
