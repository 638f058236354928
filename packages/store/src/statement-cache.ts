import type SqliteDatabase from 'better-sqlite3';

const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely prepares every query afresh, and preparing costs more than running the indexed
 * lookups a registry pull makes (a manifest HEAD spent a tenth of its time there). The same
 * SQL text reuses its statement; better-sqlite3 runs one statement at a time and Berth never
 * streams results, so sharing them is safe. The oldest entry goes when the cache is full
 * (`IN (?, ?, …)` lists of every length would otherwise grow it without bound).
 *
 * A statement belongs to one connection, so each connection has its own cache.
 */
export class StatementCache<V> {
  readonly #entries = new Map<string, V>();

  get(sql: string): V | undefined {
    return this.#entries.get(sql);
  }

  set(sql: string, value: V): V {
    if (this.#entries.size >= STATEMENT_CACHE_SIZE) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(sql, value);
    return value;
  }
}

/** `raw.prepare` through a cache of the connection's statements. */
export function cachedPrepare(raw: SqliteDatabase.Database) {
  const cache = new StatementCache<SqliteDatabase.Statement>();
  return (sql: string): SqliteDatabase.Statement =>
    cache.get(sql) ?? cache.set(sql, raw.prepare(sql));
}
