import type { Request, Response } from 'express';
import type { z } from 'zod';
import { operationAccepted } from '@berth/contract';
import type { Outcome } from '../services/operations/operations-service.js';

/** Responses are parsed with the same contract schema the console parses them with. */
export function send<T extends z.ZodType>(
  res: Response,
  schema: T,
  data: z.input<T>,
  status = 200,
): void {
  res.status(status).json(schema.parse(data));
}

export { actorOf } from './request-auth.js';

export function param(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The body as before when the work was done within the request, or 202 with the operation
 * that goes on in the background and where to follow it.
 */
export function sendOutcome<T extends z.ZodType>(
  res: Response,
  schema: T,
  outcome: Outcome<z.input<T>>,
  status = 200,
): void {
  if (outcome.kind === 'done') {
    send(res, schema, outcome.body, status);
    return;
  }
  res.location(`/api/v1/operations/${encodeURIComponent(outcome.operation.id)}`);
  send(res, operationAccepted, { operation: outcome.operation }, 202);
}
