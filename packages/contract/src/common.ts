import { z } from 'zod';

/** Page sizes are bounded so one request can never ask the store for everything. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const limitParam = z.coerce
  .number()
  .int('limit must be a whole number')
  .min(1, 'limit must be at least 1')
  .max(MAX_PAGE_SIZE, `limit must be at most ${MAX_PAGE_SIZE}`)
  .default(DEFAULT_PAGE_SIZE);

/** Opaque keyset cursor: the server encodes it, clients pass it back unchanged. */
export const cursorParam = z.string().min(1).max(512).optional();
export const searchParam = z.string().max(255).optional();
export const orderParam = z.enum(['asc', 'desc']).optional();

export const isoDate = z.string().describe('ISO 8601 date-time');

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

export const health = z.object({ status: z.literal('ok'), version: z.string() });
export type Health = z.infer<typeof health>;
