import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';

/**
 * Why Berth gathers statistics at all: without sqlite_stat1 SQLite's planner guesses that
 * every index narrows a table to ten rows, and for queries that join a repository's manifests
 * to their links it then picked plans that scan a whole repository once per row: GC's
 * stale-link check took 10.9 s at 10,000 images in one repository, 0.05 s after ANALYZE. Hot
 * queries are written (and tested) to use their index without statistics, but statistics
 * keep the planner's other choices sane as tables grow from ten rows to a million.
 */

/**
 * Rows ANALYZE samples per index when run at start-up: exact counts of a million-image
 * database would hold the start for seconds, and the planner needs only magnitudes.
 */
const START_UP_ANALYSIS_LIMIT = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * After migrations: a migration that added or changed an index leaves that index without
 * statistics, and a database that never had ANALYZE (every Berth before this one) has none.
 */
export async function analyzeAfterMigrating(db: AnyDb, schemaChanged: boolean): Promise<void> {
  if (!schemaChanged && (await hasStatistics(db))) return;
  await db.transaction().execute(async (trx) => {
    await sql.raw(`PRAGMA analysis_limit = ${START_UP_ANALYSIS_LIMIT}`).execute(trx);
    await sql`ANALYZE`.execute(trx);
    await sql`PRAGMA analysis_limit = 0`.execute(trx);
  });
}

async function hasStatistics(db: AnyDb): Promise<boolean> {
  const found = await sql<{ n: number }>`
    SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`.execute(
    db,
  );
  if ((found.rows[0]?.n ?? 0) === 0) return false;
  const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM sqlite_stat1`.execute(db);
  return (rows.rows[0]?.n ?? 0) > 0;
}

/**
 * After a bulk load (seeding, tests at scale): the tables went from nearly empty to their full
 * size in one go, which is exactly when old statistics (or none) mislead the planner most.
 * A full ANALYZE: loading already took far longer than reading every index once.
 */
export function analyzeAfterBulkLoad(raw: BetterSqlite3.Database): void {
  raw.exec('ANALYZE');
}

/**
 * Periodically and at close: PRAGMA optimize re-analyzes only the tables whose size changed a
 * lot since their statistics were taken (a few milliseconds when nothing did, sampled with
 * SQLite's own analysis limit otherwise). 0x10002 makes it look at every table, not only those
 * this connection queried: the writer connection runs it, and most reads run on the reader.
 */
export async function optimizeStatistics(db: AnyDb): Promise<void> {
  await sql`PRAGMA optimize = 0x10002`.execute(db);
}

/** Changes whenever ANALYZE (or PRAGMA optimize) rewrote the statistics. */
export async function statisticsFingerprint(db: AnyDb): Promise<string> {
  if (!(await hasStatistics(db))) return '';
  const rows = await sql<{ row: string }>`
    SELECT tbl || ' ' || coalesce(idx, '') || ' ' || stat AS row FROM sqlite_stat1`.execute(db);
  return rows.rows.map((r) => r.row).join('\n');
}
