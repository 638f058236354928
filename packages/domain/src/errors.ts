/**
 * Business errors. Services and the store throw these; the server maps them to HTTP in
 * one middleware (400, 401, 403, 404, 409, 413, 429, 507), so no handler decides a status code by itself.
 */
export type ErrorDetails = Record<string, unknown>;

export abstract class BerthError extends Error {
  abstract readonly kind:
    | 'input'
    | 'unauthenticated'
    | 'forbidden'
    | 'not_found'
    | 'conflict'
    | 'too_large'
    | 'rate_limited'
    | 'storage_full';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InputError extends BerthError {
  readonly kind = 'input' as const;
}
export class NotFoundError extends BerthError {
  readonly kind = 'not_found' as const;
}
export class ConflictError extends BerthError {
  readonly kind = 'conflict' as const;
}
export class TooLargeError extends BerthError {
  readonly kind = 'too_large' as const;
}
/** No credentials, or credentials that do not hold (401). */
export class UnauthenticatedError extends BerthError {
  readonly kind = 'unauthenticated' as const;
}
/**
 * Signed in and allowed to see the resource, but not to do this to it (403). Resources the
 * caller may not see at all are a NotFoundError instead, so their names do not leak.
 */
export class ForbiddenError extends BerthError {
  readonly kind = 'forbidden' as const;
}
/** Too many failed attempts; `retryAfterSeconds` says when to try again (429). */
export class RateLimitedError extends BerthError {
  readonly kind = 'rate_limited' as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TOO_MANY_ATTEMPTS', message, { retryAfterSeconds });
  }
}

/**
 * The disk (or quota) under the database or the blob directory has no room left, so a write
 * could not be made; nothing of it was kept (507 on /api). Reads keep working, and writes work
 * again as soon as space is freed: no restart is needed.
 */
export class StorageFullError extends BerthError {
  readonly kind = 'storage_full' as const;
  constructor(
    message = "the registry's storage is full, so nothing was written: an administrator must free space on the server (delete images and run garbage collection, or grow the disk); reading and pulling still work",
  ) {
    super('STORAGE_FULL', message);
  }
}
