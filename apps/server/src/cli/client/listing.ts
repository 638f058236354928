import { collectPages } from './api.js';
import { bool, type Context, str, type Values } from './command.js';
import { intArg } from './references.js';

/** --limit and --all of a cursor-paged list: the query's limit and whether to follow cursors. */
export function paging(values: Values): { limit: number | undefined; all: boolean } {
  return { limit: intArg('--limit', str(values, 'limit'), 1), all: bool(values, 'all') };
}

/**
 * A list: an array in JSON, a table for people. When more pages exist and --all was not
 * given, stderr says so: stdout stays exactly the items asked for.
 */
export async function printPaged<T>(
  ctx: Context,
  values: Values,
  fetchPage: (
    cursor: string | undefined,
    limit: number | undefined,
  ) => Promise<{ items: T[]; nextCursor: string | null }>,
  human: (items: T[]) => string,
  empty: string,
): Promise<void> {
  const { limit, all } = paging(values);
  const { items, more } = await collectPages((cursor) => fetchPage(cursor, limit), all);
  ctx.print(items, () => (items.length === 0 ? `${empty}\n` : human(items)));
  if (more) ctx.term.err(`(more than ${items.length}: pass --all for every page)\n`);
}
