import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';

/**
 * Copying an embedded installation's metadata (SQLite) into PostgreSQL, for `berth migrate`
 * (issue 16). The copy reads the tables as they are, not through the store's queries: it
 * needs nothing but the two schemas being the same, which the migrations promise.
 */

/** A move that must not start, in one sentence for the operator. */
export class MoveRefusedError extends Error {
  override readonly name = 'MoveRefusedError';
}

/** Kysely's bookkeeping: each database keeps its own record of the migrations it ran. */
const OWN_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);
/** Rows per keyset page: bounded memory whatever a table holds (manifests carry content). */
const PAGE_ROWS = 500;
/** PostgreSQL's limit on the parameters of one statement is 65535. */
const MAX_PARAMETERS = 30_000;

/**
 * Opens the SQLite database and holds it exclusively until closed, or refuses when another
 * process has it open: a running Berth (every process keeps its connections open, and in WAL
 * mode an open connection holds a shared lock on the file for its whole life), or a backup or
 * `sqlite3` shell. With `locking_mode = EXCLUSIVE`, the first transaction takes an exclusive
 * lock on the file and keeps it after it ends, so a Berth started during the copy fails to open
 * the database instead of writing to it behind the copy's back.
 */
export function holdSqliteExclusively(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new MoveRefusedError(
        `another process has ${file} open (a running Berth?): stop Berth first, then run the migration again`,
      );
    }
    throw error;
  }
}

interface SourceTable {
  name: string;
  columns: string[];
  /** What keyset pages go by: rowid, or the primary key of a WITHOUT ROWID table. */
  key: string[];
}

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function sourceTables(db: SqliteDatabase.Database): SourceTable[] {
  const tables = db
    .prepare(
      `SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .all() as { name: string; wr: number }[];
  return tables
    .filter((t) => !OWN_TABLES.has(t.name))
    .map((t) => {
      const info = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(t.name) as {
        name: string;
        pk: number;
      }[];
      const primary = info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      return { name: t.name, columns: info.map((c) => c.name), key: t.wr ? primary : ['rowid'] };
    });
}

/**
 * Refuses a target database that holds anything: tables that are not Berth's, or Berth's
 * tables with rows. Empty, or migrated by Berth with no rows, is fine. Reads only.
 */
export async function checkTargetDatabaseEmpty(url: string, shown: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const names = rows.map((r) => r.name);
    if (names.length === 0) return;
    if (!names.includes('kysely_migration')) {
      throw new MoveRefusedError(
        `${shown} holds tables that are not Berth's (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}): migrate into an empty database`,
      );
    }
    const filled: string[] = [];
    for (const name of names) {
      if (OWN_TABLES.has(name)) continue;
      const answer = await client.query<{ some: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${q(name)}) AS some`,
      );
      if (answer.rows[0]?.some) filled.push(name);
    }
    if (filled.length > 0) {
      throw new MoveRefusedError(
        `${shown} already holds Berth data (rows in ${filled.slice(0, 3).join(', ')}${filled.length > 3 ? ', …' : ''}): migrate into an empty database`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface TargetSchema {
  columns: Map<string, Set<string>>;
  identities: { table: string; column: string }[];
  /** table -> the tables its foreign keys point at */
  references: Map<string, Set<string>>;
}

async function targetSchema(db: Kysely<Database>): Promise<TargetSchema> {
  const columns = await sql<{ table_name: string; column_name: string; is_identity: string }>`
    SELECT table_name, column_name, is_identity FROM information_schema.columns
     WHERE table_schema = current_schema()`.execute(db);
  const keys = await sql<{ source: string; target: string }>`
    SELECT c.conrelid::regclass::text AS source, c.confrelid::regclass::text AS target
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE c.contype = 'f' AND n.nspname = current_schema()`.execute(db);
  const schema: TargetSchema = { columns: new Map(), identities: [], references: new Map() };
  for (const row of columns.rows) {
    if (!schema.columns.has(row.table_name)) schema.columns.set(row.table_name, new Set());
    schema.columns.get(row.table_name)!.add(row.column_name);
    if (row.is_identity === 'YES') {
      schema.identities.push({ table: row.table_name, column: row.column_name });
    }
  }
  for (const { source, target } of keys.rows) {
    const unquoted = (name: string) => name.replace(/^"|"$/g, '');
    const from = unquoted(source);
    if (!schema.references.has(from)) schema.references.set(from, new Set());
    schema.references.get(from)!.add(unquoted(target));
  }
  return schema;
}

/** Tables ordered so that every table comes after those its foreign keys point at. */
function foreignKeyOrder(tables: SourceTable[], references: TargetSchema['references']) {
  const ordered: SourceTable[] = [];
  const placed = new Set<string>();
  let left = [...tables];
  while (left.length > 0) {
    const ready = left.filter((t) =>
      [...(references.get(t.name) ?? [])].every((r) => r === t.name || placed.has(r)),
    );
    if (ready.length === 0) {
      throw new Error(`foreign keys form a cycle among ${left.map((t) => t.name).join(', ')}`);
    }
    for (const t of ready) {
      ordered.push(t);
      placed.add(t.name);
    }
    left = left.filter((t) => !placed.has(t.name));
  }
  return ordered;
}

export interface CopyProgress {
  table: string;
  rows: number;
  done: boolean;
}

/**
 * Copies every table of `source` (held by holdSqliteExclusively, already migrated to the latest
 * schema) into `target` (checked by checkTargetDatabaseEmpty, then opened and migrated by
 * openPostgres: no rows but those its migrations seeded, which the source's replace), inside ONE
 * PostgreSQL transaction: a copy that fails anywhere leaves the target as it was. Tables go in
 * foreign-key order, each in keyset pages (rowid, or the primary key), so memory stays bounded
 * however many rows there are. Ids are inserted as they are and each identity sequence is then
 * set past the largest id. Before committing, the row count of every table is compared with
 * the source's. Returns the rows copied per table.
 */
export async function copyMetadata(
  source: SqliteDatabase.Database,
  target: Kysely<Database>,
  onProgress: (progress: CopyProgress) => void = () => undefined,
): Promise<Map<string, number>> {
  const schema = await targetSchema(target);
  const tables = sourceTables(source);
  const missing: string[] = [];
  for (const table of tables) {
    const have = schema.columns.get(table.name);
    if (!have) missing.push(table.name);
    else for (const c of table.columns) if (!have.has(c)) missing.push(`${table.name}.${c}`);
  }
  for (const name of schema.columns.keys()) {
    if (!OWN_TABLES.has(name) && !tables.some((t) => t.name === name)) missing.push(name);
  }
  if (missing.length > 0) {
    throw new Error(
      `the SQLite and PostgreSQL schemas differ (${missing.join(', ')}): is this Berth older than the database?`,
    );
  }
  const ordered = foreignKeyOrder(tables, schema.references);
  const copied = new Map<string, number>();
  await target.transaction().execute(async (trx) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const untyped = trx as unknown as Kysely<any>;
    await clearMigrationSeeds(untyped, ordered);
    for (const table of ordered) {
      const rows = await copyTable(source, untyped, table, (n) =>
        onProgress({ table: table.name, rows: n, done: false }),
      );
      copied.set(table.name, rows);
      onProgress({ table: table.name, rows, done: true });
    }
    for (const { table, column } of schema.identities) {
      await sql`SELECT setval(pg_get_serial_sequence(${q(table)}, ${column}),
                  (SELECT COALESCE(MAX(${sql.ref(column)}), 0) + 1 FROM ${sql.table(table)}), false)`.execute(
        trx,
      );
    }
    const differing: string[] = [];
    for (const table of ordered) {
      const expected = (
        source.prepare(`SELECT count(*) AS n FROM ${q(table.name)}`).get() as { n: number }
      ).n;
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM ${sql.table(table.name)}`.execute(trx);
      const actual = Number(rows[0]?.n ?? -1);
      if (actual !== expected) differing.push(`${table.name}: ${actual} of ${expected}`);
    }
    if (differing.length > 0) {
      throw new Error(`the copy's row counts differ from the source's (${differing.join('; ')})`);
    }
  });
  return copied;
}

/**
 * The caller checked the target held no rows before openPostgres migrated it, so any row in it
 * now was written by a migration (such as 0025's one-row image_data_encryption setting). The
 * source, migrated by the same migrations, carries its own version of each such row, which the
 * copy would collide with (duplicate key); the source's must win. Deleted in the copy's
 * transaction, children before parents, so a failed copy leaves the seeds as they were.
 */
async function clearMigrationSeeds(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  ordered: SourceTable[],
): Promise<void> {
  for (const table of [...ordered].reverse()) {
    await trx.deleteFrom(table.name).execute();
  }
}

async function copyTable(
  source: SqliteDatabase.Database,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  table: SourceTable,
  onPage: (rows: number) => void,
): Promise<number> {
  const keyAliases = table.key.map((_, i) => `__key${i}`);
  const select = `SELECT ${table.key.map((k, i) => `${q(k)} AS ${keyAliases[i]}`).join(', ')}, ${table.columns.map(q).join(', ')} FROM ${q(table.name)}`;
  const order = `ORDER BY ${table.key.map(q).join(', ')} LIMIT ${PAGE_ROWS}`;
  const first = source.prepare(`${select} ${order}`);
  const next = source.prepare(
    `${select} WHERE (${table.key.map(q).join(', ')}) > (${table.key.map(() => '?').join(', ')}) ${order}`,
  );
  const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / table.columns.length));
  let after: unknown[] | null = null;
  let total = 0;
  for (;;) {
    const page = (after ? next.all(...after) : first.all()) as Record<string, unknown>[];
    if (page.length === 0) return total;
    const last = page[page.length - 1]!;
    after = keyAliases.map((alias) => last[alias]);
    const values = page.map((row) => {
      const value: Record<string, unknown> = {};
      for (const column of table.columns) value[column] = row[column];
      return value;
    });
    for (let i = 0; i < values.length; i += perInsert) {
      await trx
        .insertInto(table.name)
        .values(values.slice(i, i + perInsert))
        .execute();
    }
    total += page.length;
    onPage(total);
  }
}
