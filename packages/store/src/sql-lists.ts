import { type Kysely, type RawBuilder, sql } from 'kysely';
import { engineOf } from './store-handle.js';

/**
 * Lists as ONE statement parameter, on either engine. `IN (?, ?, …)` would be a new SQL
 * text for every length (prepared afresh each time, and compiled node by node by Kysely).
 * SQLite reads a JSON array with json_each; PostgreSQL takes a typed array (unnest) or a
 * jsonb array of tuples whose fields are cast to the column types, as it never converts text
 * to numbers implicitly. The SQLite text is exactly what the store used before PostgreSQL.
 */
export type ListType = 'bigint' | 'text';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** `(SELECT value FROM …)`: for `x IN ${listOf(db, ids)}` and joins on `value`. */
export function listOf<T extends number | string>(
  db: AnyDb,
  values: readonly T[],
  type: ListType = 'bigint',
): RawBuilder<T> {
  if (engineOf(db) === 'postgres') {
    return sql<T>`(SELECT unnest(CAST(${values as T[]} AS ${sql.raw(type)}[])) AS value)`;
  }
  return sql<T>`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

export interface TupleRows {
  /** For FROM: the rows, aliased. */
  from: RawBuilder<unknown>;
  /** Field `i` of a row, as its declared type. */
  field(i: number): RawBuilder<unknown>;
  /** The row's position in the list (for ORDER BY). */
  key: RawBuilder<number>;
}

/**
 * Rows of tuples (`[[1, 'a'], [2, 'b']]`) as a table aliased `alias`, each field typed by
 * `types[i]`: `SELECT ${t.field(0)} FROM ${t.from}`.
 */
export function tuplesOf(
  db: AnyDb,
  alias: string,
  rows: readonly (readonly unknown[])[],
  types: readonly ListType[],
): TupleRows {
  const a = sql.ref(alias);
  if (engineOf(db) === 'postgres') {
    return {
      from: sql`jsonb_array_elements(CAST(${JSON.stringify(rows)} AS jsonb)) WITH ORDINALITY AS ${a} (value, key)`,
      field: (i) => sql`CAST(${a}.value ->> ${sql.lit(i)} AS ${sql.raw(types[i] ?? 'text')})`,
      key: sql<number>`${a}.key`,
    };
  }
  return {
    from: sql`json_each(${JSON.stringify(rows)}) AS ${a}`,
    field: (i) => sql`${a}.value ->> ${sql.lit(i)}`,
    key: sql<number>`${a}.key`,
  };
}

/** The larger of two values (SQLite's two-argument max, PostgreSQL's greatest). */
export function greatest<T>(db: AnyDb, a: RawBuilder<T> | unknown, b: RawBuilder<T> | unknown) {
  return engineOf(db) === 'postgres' ? sql<T>`greatest(${a}, ${b})` : sql<T>`max(${a}, ${b})`;
}

/**
 * A list as a table aliased `alias` with one column, `value`, for FROM: where the list drives
 * a join (`FROM ${valuesOf(db, 'j', ids)} JOIN t ON t.id = j.value`) rather than filters.
 */
export function valuesOf(
  db: AnyDb,
  alias: string,
  values: readonly (number | string)[],
  type: ListType = 'bigint',
): RawBuilder<unknown> {
  const a = sql.ref(alias);
  return engineOf(db) === 'postgres'
    ? sql`unnest(CAST(${values as (number | string)[]} AS ${sql.raw(type)}[])) AS ${a} (value)`
    : sql`json_each(${JSON.stringify(values)}) AS ${a}`;
}

/**
 * A parameter typed on PostgreSQL (`CAST($1 AS bigint)`), bare on SQLite. Where nothing gives
 * a parameter its type (`INSERT … SELECT ${x}`, a select list), PostgreSQL takes it as text
 * and then refuses it for a bigint column; SQLite's text stays as it was.
 */
export function typed<T>(db: AnyDb, value: T, type: ListType): RawBuilder<T> {
  return engineOf(db) === 'postgres'
    ? sql<T>`CAST(${value} AS ${sql.raw(type)})`
    : sql<T>`${value}`;
}

/**
 * `CROSS JOIN` on SQLite, where it keeps the table on its left the outer loop (the list a
 * query is driven by); plain `JOIN` on PostgreSQL, which refuses `CROSS JOIN … ON` and
 * whose planner takes no such hint.
 */
export function outerLoopJoin(db: AnyDb): RawBuilder<unknown> {
  return engineOf(db) === 'postgres' ? sql`JOIN` : sql`CROSS JOIN`;
}
