import { type Expression, type SqlBool, sql } from 'kysely';

/**
 * Substring match with `%`, `_` and `\` in the search text taken literally. The ESCAPE
 * clause is standard SQL, so the same expression works on SQLite and PostgreSQL.
 */
export function containsText(
  column: string | Expression<string>,
  text: string,
): Expression<SqlBool> {
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const subject = typeof column === 'string' ? sql.ref(column) : column;
  return sql<SqlBool>`${subject} like ${`%${escaped}%`} escape '\\'`;
}
