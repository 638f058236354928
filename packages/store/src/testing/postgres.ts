import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type {} from 'vitest';
import { freePort } from './free-port.js';

const run = promisify(execFile);

// The run's cluster reaches tests through vitest's provide/inject (postgres-global-setup.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    /** The admin URL of this run's PostgreSQL cluster, or null where none can start. */
    postgresUrl: string | null;
  }
}

/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temporary directory, started on a
 * free loopback port in 2–3 s. Tests share one cluster per run and each takes its own
 * database (`createDatabase`). The recipe is in ../shared/notes/real-engines.md; Debian's
 * `postgresql` package provides the programs (.ci/run installs it).
 */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, or null. */
function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** Why PostgreSQL cannot be started here, or null when it can. */
export function postgresUnavailable(): string | null {
  return binDir() ? null : 'PostgreSQL is not installed: apt-get install postgresql';
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
function asServerUser(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', program, ...args]]
    : [program, args];
}

/**
 * `durable`: keep PostgreSQL's defaults (fsync, synchronous commit, full page writes), for a
 * benchmark that compares it with SQLite, which Berth runs durably.
 */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<TestPostgres> {
  const bin = binDir();
  if (!bin) throw new Error(postgresUnavailable() ?? 'PostgreSQL is not installed');
  const dir = await mkdtemp('/tmp/berth-pg-');
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'run');
  await mkdir(sockets);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(sockets, uid, gid);
  }
  chmodSync(dir, 0o755);
  const port = await freePort();
  const pgRun = (program: string, args: string[]) =>
    run(...asServerUser(path.join(bin, program), args), { timeout: 60_000 });
  await pgRun('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  const conf = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${sockets}'`,
    // Durability settings only a throwaway test cluster may turn off.
    ...(opts.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
    'max_connections = 300',
    '',
  ].join('\n');
  await appendFile(path.join(data, 'postgresql.conf'), conf);
  await pgRun('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    stop: async () => {
      await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A database with Berth's schema, made once per run (postgres-global-setup.ts): a test's
 * database is a copy of it, which takes milliseconds where migrating a new one takes a second.
 */
export const MIGRATED_TEMPLATE = 'berth_migrated_template';

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function asAdmin<T>(adminUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

/** Creates the migrated template; `migrate` brings a database at a URL to the latest schema. */
export async function createMigratedTemplate(
  adminUrl: string,
  migrate: (url: string) => Promise<void>,
): Promise<void> {
  await asAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${MIGRATED_TEMPLATE}`));
  await migrate(databaseUrl(adminUrl, MIGRATED_TEMPLATE));
}

/**
 * A new database on the cluster behind `adminUrl`, for one test: a copy of the migrated
 * template, or with `empty` a database without any table. Its URL, and a drop that ends
 * whatever connections are left.
 */
export async function createTestDatabase(
  adminUrl: string,
  { empty = false }: { empty?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `berth_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, (c) =>
    c.query(`CREATE DATABASE ${name}${empty ? '' : ` TEMPLATE ${MIGRATED_TEMPLATE}`}`),
  );
  const url = databaseUrl(adminUrl, name);
  return {
    url,
    drop: () =>
      asAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
