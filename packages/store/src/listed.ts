import { sql } from 'kysely';

/**
 * `listed = 1` as a literal, for `.where('listed', '=', LISTED)`: the listing indexes hold the
 * listed images only (migration 0017), and SQLite uses such a partial index only when the
 * query states its condition; with a bound parameter (`listed = ?`) it cannot know the value
 * when planning, and a page of a 100,000-image repository sorted by size became a sort of the
 * whole repository.
 */
export const LISTED = sql.lit<number>(1);
