import { createHash } from 'node:crypto';
import type pg from 'pg';

/*
 * Named prepared statements for the registry's hot reads (compiledOnce), PostgreSQL's
 * counterpart of SQLite's statement cache. Unnamed, each manifest HEAD had PostgreSQL parse and
 * plan a four-table join afresh: at a million images PostgreSQL spent ~1.2 ms of CPU per HEAD
 * and was the busiest part of the machine (bench/scale-out). Named, a connection parses each
 * once and PostgreSQL settles on a cached plan after a few runs.
 *
 * Only texts registered here are named: they are few and fixed, so the statements a connection
 * keeps stay few. They select named columns, never `*`, so a migration that adds a column (a
 * rolling upgrade) does not break a cached plan's result type.
 */
const names = new Map<string, string>();

/** Marks `text` as a statement to prepare once per connection. */
export function prepareOnEachConnection(text: string): void {
  if (!names.has(text)) {
    names.set(text, `berth_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
  }
}

type Client = pg.PoolClient;

/**
 * The pool as Kysely's PostgresDialect sees it, with each client's `query(text, values)`
 * naming the registered texts. Everything else (cursors, other texts) passes through.
 */
export function preparingPool(pool: pg.Pool) {
  const wrapped = new WeakMap<Client, Client>();
  const wrap = (client: Client): Client => {
    let proxy = wrapped.get(client);
    if (!proxy) {
      // Made once per client: Kysely looks `query` up for every statement it runs.
      const query = (textOrConfig: unknown, values?: unknown[]) => {
        const name = typeof textOrConfig === 'string' ? names.get(textOrConfig) : undefined;
        return name === undefined
          ? (client.query as (...a: unknown[]) => unknown)(textOrConfig, values)
          : client.query({ name, text: textOrConfig as string, values });
      };
      proxy = new Proxy(client, {
        get: (target, property, receiver) =>
          property === 'query' ? query : Reflect.get(target, property, receiver),
      });
      wrapped.set(client, proxy);
    }
    return proxy;
  };
  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
