import type { Request, Response } from 'express';
import type { z } from 'zod';

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
