/**
 * Business errors. Services and the store throw these; the server maps them to HTTP in
 * one middleware (400, 404, 409, 413), so no handler decides a status code by itself.
 */
export type ErrorDetails = Record<string, unknown>;

export abstract class BerthError extends Error {
  abstract readonly kind: 'input' | 'not_found' | 'conflict' | 'too_large';
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
