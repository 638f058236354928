import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import { prepareOnEachConnection } from './postgres/prepared-statements.js';
import { engineOf } from './store-handle.js';

/**
 * A query built and compiled by Kysely once, then run with fresh parameters each time.
 * Building and compiling a query took more of a manifest HEAD than SQLite's indexed lookup
 * did (a quarter of the server's time under load went to Kysely's builder and compiler); the
 * SQL text of a hot read never changes, only its values do.
 *
 * `build` receives placeholder values, one per parameter, and must use each as a bound value
 * exactly as the real values will be used (in `where`, never to choose the query's shape);
 * the placeholders' positions among the compiled parameters are where each call's values go.
 * Constant values the query binds itself ('live', 0) stay as they were compiled. On
 * PostgreSQL each connection prepares the statement once (postgres/prepared-statements.ts).
 */
export function compiledOnce<P extends readonly unknown[], R>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  arity: P['length'],
  build: (...placeholders: string[]) => Compilable<R>,
): (...values: P) => Promise<R | undefined> {
  const marks = Array.from({ length: arity }, (_, i) => `\u0000compiled-once:${i}\u0000`);
  const compiled: CompiledQuery<R> = build(...marks).compile();
  const slots = compiled.parameters.map((p) => (typeof p === 'string' ? marks.indexOf(p) : -1));
  for (let i = 0; i < arity; i++) {
    if (slots.filter((s) => s === i).length !== 1) {
      throw new Error(
        `compiledOnce: placeholder ${i} must be bound exactly once in ${compiled.sql}`,
      );
    }
  }
  const constants = compiled.parameters;
  // PostgreSQL's counterpart of the statement cache SQLite's connection keeps.
  if (engineOf(db) === 'postgres') prepareOnEachConnection(compiled.sql);
  return async (...values: P) => {
    const parameters = slots.map((slot, i) => (slot >= 0 ? values[slot] : constants[i]));
    const result = await db.executeQuery<R>({ ...compiled, parameters });
    return result.rows[0];
  };
}
