import { type Expression, type SqlBool, sql } from 'kysely';
import type { Engine } from './store-handle.js';

/*
 * Text matches with `%`, `_` and `\` in the search text taken literally (the ESCAPE clause is
 * standard SQL). SQLite's LIKE ignores ASCII case; PostgreSQL's LIKE does not, and its ILIKE
 * under the columns' COLLATE "C" folds ASCII only: the same matches on both engines.
 */

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function like(column: string | Expression<string>, pattern: string, engine: Engine) {
  const subject = typeof column === 'string' ? sql.ref(column) : column;
  const op = engine === 'postgres' ? sql`ilike` : sql`like`;
  return sql<SqlBool>`${subject} ${op} ${pattern} escape '\\'`;
}

/**
 * Substring match. `engine` defaults to SQLite for callers not yet ported; on PostgreSQL pass
 * it (engineOf(db)), or the match is case-sensitive there.
 */
export function containsText(
  column: string | Expression<string>,
  text: string,
  engine: Engine = 'sqlite',
): Expression<SqlBool> {
  return like(column, `%${escapeLike(text)}%`, engine);
}

/** Prefix match. */
export function startsWithText(column: string, text: string, engine: Engine): Expression<SqlBool> {
  return like(column, `${escapeLike(text)}%`, engine);
}
