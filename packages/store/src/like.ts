import { type Expression, type SqlBool, sql } from 'kysely';

/**
 * Substring match with `%`, `_` and `\` in the search text taken literally. The ESCAPE
 * clause is standard SQL, so the same expression works on SQLite and PostgreSQL.
 */
export function containsText(column: string, text: string): Expression<SqlBool> {
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<SqlBool>`${sql.ref(column)} like ${`%${escaped}%`} escape '\\'`;
}
