import { type Kysely, PostgresAdapter } from 'kysely';
import type { Db } from './database.js';

/** Which database engine a handle talks to: the few queries that differ ask this. */
export type Engine = 'sqlite' | 'postgres';

/** An open metadata database, whichever engine holds it. */
export interface StoreHandle {
  db: Db;
  engine: Engine;
  /** Refreshes the planner's statistics where the engine needs Berth to (SQLite). */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
