import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { BackupError } from './backup-format.js';
import type { Snapshot } from './take-backup.js';
import { syncFile } from '../../durable-files.js';

/**
 * The metadata of a PostgreSQL installation in a backup: a `pg_dump` custom-format archive of
 * one snapshot, with the list of blobs to copy read in THAT snapshot. A REPEATABLE READ
 * transaction exports its snapshot (pg_export_snapshot) and stays open while pg_dump runs with
 * --snapshot, so the dump and the blob list see the same committed state while pushes go on:
 * every blob a dumped row names is in the list.
 */

/** Debian installs client tools per major version; the newest dumps every older server. */
export function findPostgresTool(name: 'pg_dump' | 'pg_restore'): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new BackupError(
      `${name} was not found under ${root}/*/bin: install PostgreSQL's client tools (Debian: postgresql-client)`,
    );
  }
  return path.join(root, newest, 'bin', name);
}

/** Why scheduled backups of this PostgreSQL installation cannot run here, or null. */
export function postgresBackupUnavailable(): string | null {
  try {
    findPostgresTool('pg_dump');
    return null;
  } catch (error) {
    return `scheduled backups of PostgreSQL need pg_dump: ${(error as Error).message}`;
  }
}

/**
 * The URL without its password, and the password in PGPASSWORD: a password on a command line
 * is visible to every user of the machine (ps).
 */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (parsed.password) {
    env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = '';
  }
  return { dbname: parsed.toString(), env };
}

/** Runs a PostgreSQL client tool; rejects with its last line of stderr (never its URL). */
function run(tool: string, args: string[], url: string): Promise<string> {
  const { dbname, env } = connection(url);
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args, `--dbname=${dbname}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else {
        const said = stderr.trim().split('\n').at(-1) ?? '';
        reject(new BackupError(`${path.basename(tool)} failed (exit ${code}): ${said}`));
      }
    });
  });
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Dumps the database at `url` into `file` and returns what the backup needs from the same
 * snapshot: the blobs, the row counts, the root key ids.
 */
export async function snapshotPostgres(url: string, file: string): Promise<Snapshot> {
  const pgDump = findPostgresTool('pg_dump');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const snapshotId = rows[0]!.id;
    // Owners and grants belong to the source's roles; the restored database has its own.
    const dump = run(
      pgDump,
      ['--format=custom', `--snapshot=${snapshotId}`, '--no-owner', '--no-acl', `--file=${file}`],
      url,
    );
    // Read while pg_dump runs; a failure of either waits for the other, so no pg_dump is left
    // writing into a staging folder that is being removed.
    const [read, dumped] = await Promise.allSettled([readPostgresSnapshot(client), dump]);
    if (read.status === 'rejected') throw read.reason;
    if (dumped.status === 'rejected') throw dumped.reason;
    const snapshot = read.value;
    await client.query('COMMIT');
    syncFile(file);
    return snapshot;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readPostgresSnapshot(client: pg.Client): Promise<Snapshot> {
  const blobs = (
    await client.query<{ digest: string; deleting: unknown }>(
      'SELECT digest, deleting FROM blobs ORDER BY digest',
    )
  ).rows.map((r) => ({ digest: r.digest, deleting: Number(r.deleting) !== 0 }));
  const tables = (
    await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
          AND table_name NOT LIKE 'kysely_%' ORDER BY table_name`,
    )
  ).rows.map((r) => r.name);
  const keyColumns = (
    await client.query<{ table: string; column: string }>(
      `SELECT table_name AS table, column_name AS column FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name IN ('key_id', 'root_key_id')`,
    )
  ).rows;
  const counts: Record<string, number> = {};
  const keyIds = new Set<string>();
  // Table and column names come from the database's own catalogue, never from input.
  for (const name of tables) {
    const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quote(name)}`);
    counts[name] = Number(rows[0]!.n);
  }
  for (const { table, column } of keyColumns) {
    const { rows } = await client.query<{ id: string }>(
      `SELECT DISTINCT ${quote(column)} AS id FROM ${quote(table)} WHERE ${quote(column)} IS NOT NULL`,
    );
    for (const r of rows) keyIds.add(r.id);
  }
  return { blobs, counts, rootKeyIds: [...keyIds].sort() };
}

/** A sentence naming why pg_restore cannot read the archive, or null. */
export async function checkPostgresDump(file: string): Promise<string | null> {
  const pgRestore = findPostgresTool('pg_restore');
  return new Promise((resolve) => {
    const child = spawn(pgRestore, ['--list', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => resolve(`pg_restore could not run: ${error.message}`));
    child.on('close', (code) =>
      resolve(
        code === 0
          ? null
          : `pg_restore cannot read the dump ${file}: ${stderr.trim().split('\n').at(-1) ?? `exit ${code}`}`,
      ),
    );
  });
}

/**
 * A PostgreSQL backup is restored by pg_restore into a database with no tables at all (fresh
 * from createdb), in one transaction: a failure leaves it without tables again.
 */
export async function checkDatabaseHasNoTables(url: string, shown: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() ORDER BY table_name LIMIT 3`,
    );
    if (rows.length > 0) {
      throw new BackupError(
        `${shown} holds tables (${rows.map((r) => r.name).join(', ')}…): a backup of a PostgreSQL installation restores into a database with no tables (createdb)`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function restorePostgresDump(file: string, url: string): Promise<void> {
  await run(
    findPostgresTool('pg_restore'),
    ['--single-transaction', '--exit-on-error', '--no-owner', '--no-acl', file],
    url,
  );
}

/** How many tables (and views) the current schema holds. */
export async function countTables(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Drops everything in the current schema, in one transaction: for a restore that failed after
 * writing into a database that had no tables before it (what pg_restore and the migrations
 * created: tables with their identity sequences, views, the audit log's trigger function).
 * Only ever called on a database the restore found without tables, so nothing of anyone
 * else's is in it.
 */
export async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('BEGIN');
    const list = async (query: string) =>
      (await client.query<{ name: string }>(query)).rows.map((r) => quote(r.name));
    const views = await list(
      `SELECT table_name AS name FROM information_schema.views WHERE table_schema = current_schema()`,
    );
    if (views.length > 0) await client.query(`DROP VIEW IF EXISTS ${views.join(', ')} CASCADE`);
    const tables = await list(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`,
    );
    if (tables.length > 0) await client.query(`DROP TABLE IF EXISTS ${tables.join(', ')} CASCADE`);
    const sequences = await list(
      `SELECT sequence_name AS name FROM information_schema.sequences WHERE sequence_schema = current_schema()`,
    );
    if (sequences.length > 0) {
      await client.query(`DROP SEQUENCE IF EXISTS ${sequences.join(', ')} CASCADE`);
    }
    const functions = (
      await client.query<{ signature: string }>(
        `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
          WHERE p.pronamespace = current_schema()::regnamespace`,
      )
    ).rows.map((r) => r.signature);
    for (const signature of functions)
      await client.query(`DROP FUNCTION IF EXISTS ${signature} CASCADE`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
