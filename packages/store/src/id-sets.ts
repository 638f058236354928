import { setImmediate as nextTurn } from 'node:timers/promises';
import type SqliteDatabase from 'better-sqlite3';

/**
 * Sets of row ids that a query can test membership in without staging them in a table:
 * `berth_in_id_set(<set>, id)` answers from memory. Inserting a million ids into a temporary
 * table costs more than the query that needs them; a bitmap costs a few megabytes. Each set
 * has its own number, so concurrent queries never see each other's sets.
 */
const sets = new Map<number, (id: number) => boolean>();
let nextSet = 1;
/** Above this id a bitmap would be too large; a Set is used instead. */
const BITMAP_MAX_ID = 1 << 28;

export function registerIdSetFunction(raw: SqliteDatabase.Database): void {
  raw.function('berth_in_id_set', { varargs: false }, (set: unknown, id: unknown) =>
    sets.get(Number(set))?.(Number(id)) ? 1 : 0,
  );
}

export async function withIdSet<T>(
  ids: readonly number[] | Float64Array,
  use: (set: number) => Promise<T>,
): Promise<T> {
  let max = 0;
  for (const id of ids) if (id > max) max = id;
  let has: (id: number) => boolean;
  if (max <= BITMAP_MAX_ID) {
    const bits = new Uint32Array((max >>> 5) + 1);
    for (const id of ids) bits[id >>> 5]! |= 1 << (id & 31);
    has = (id) => id >= 0 && id <= max && ((bits[id >>> 5] ?? 0) & (1 << (id & 31))) !== 0;
  } else {
    const members = new Set(ids);
    has = (id) => members.has(id);
  }
  const set = nextSet++;
  sets.set(set, has);
  try {
    return await use(set);
  } finally {
    sets.delete(set);
  }
}

/** Ids joined between two turns of the event loop when a set is written out for PostgreSQL. */
const LITERAL_SLICE = 50_000;

/**
 * The same kind of set on PostgreSQL, which has no per-connection JavaScript functions: the
 * text of a bigint[] bound as ONE parameter, read as `= ANY(CAST(${set} AS bigint[]))` or
 * `<> ALL(…)`. A bound parameter is a constant to the planner, which hashes a large array
 * once per statement, so membership is a probe and nothing is staged in a table (900,000
 * ids against 2,000,000 blob references: this 16 s, a temporary table filled from the same
 * array 20 s, on a busy test machine). The text is built a slice at a time: one join of
 * 900,000 ids held the event loop for ~0.6 s.
 */
export async function idArrayLiteral(ids: readonly number[] | Float64Array): Promise<string> {
  const parts: string[] = [];
  for (let from = 0; from < ids.length; from += LITERAL_SLICE) {
    parts.push(ids.slice(from, from + LITERAL_SLICE).join(','));
    if (from + LITERAL_SLICE < ids.length) await nextTurn();
  }
  return `{${parts.join(',')}}`;
}
