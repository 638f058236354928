/**
 * Moves an embedded installation (the SQLite database and the blob directory under the data
 * directory) to PostgreSQL and/or S3, so that several Berth processes can serve it (issue 16):
 *
 *   node apps/server/dist/cli/migrate.js [--data-dir DIR] [--to-database postgres://…] [--to-blob-store s3://…]
 *
 * Berth must be stopped: the copy holds the SQLite file exclusively and refuses while any other
 * process has it open (see holdSqliteExclusively). Everything that can be refused is checked
 * before anything is written: the targets are reachable, the database holds no Berth rows, the
 * bucket prefix holds no other installation's blobs. Then the blobs go up first (each hashed
 * as it streams; a damaged file fails the run and is named), and the metadata last, in one
 * PostgreSQL transaction whose commit is the end of the move: a run that fails leaves the
 * database without rows, and a second run skips the blobs the first had copied (after reading
 * them back to check them). The source is read only (after being migrated to the latest
 * schema, as a start of this Berth would do): it stays as the backup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BlobCopyError,
  checkDatabaseUrl,
  checkTargetBlobs,
  checkTargetDatabaseEmpty,
  copyBlobs,
  copyMetadata,
  createFilesystemDriver,
  DatabaseLocationError,
  holdSqliteExclusively,
  MoveRefusedError,
  openPostgres,
  openSqlite,
  parseDatabaseUrl,
  parseS3Location,
  S3LocationError,
} from '@berth/store';
import { connectS3, createS3Driver } from '@berth/store/s3';
import { DataDirBusyError, DB_FILE, firstStartInterrupted } from '../data-dir.js';
import { hidePasswords } from './command-exit.js';

// The AWS SDK's notice about Node versions it will stop supporting would bury the one sentence
// this command prints on stderr; it concerns whoever installs Node, not this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: berth migrate [--data-dir DIR] [--to-database postgres://…] [--to-blob-store s3://bucket/prefix?endpoint=…]

Copies the Berth installation in DIR (default: BERTH_DATA_DIR, or ./data) into PostgreSQL
and/or an S3 bucket. Stop Berth first. The target database must be empty and the bucket
prefix must hold no other installation's blobs. S3 credentials come from AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY (or the AWS SDK's other sources). The data directory is left as it
was. See docs/operations.md, "Moving to PostgreSQL and S3".`;

/** What the run was doing, for the sentence that says what a failure left behind. */
let phase: 'checks' | 'blobs' | 'metadata' = 'checks';

/** A problem the operator can fix, shown as its message alone. */
class Refused extends Error {}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Options {
  dataDir: string;
  database: { url: string; shown: string } | null;
  blobStore: string | null;
}

function options(): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        'to-database': { type: 'string' },
        'to-blob-store': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new Refused(`${(error as Error).message}; see --help`);
  }
  const { values } = parsed;
  if (values.help) return null;
  const database = values['to-database'];
  const blobStore = values['to-blob-store'] ?? null;
  if (database === undefined && blobStore === null) {
    throw new Refused('nothing to do: give --to-database, --to-blob-store or both (see --help)');
  }
  let target: Options['database'] = null;
  if (database !== undefined) {
    try {
      target = parseDatabaseUrl(database);
    } catch (error) {
      if (error instanceof DatabaseLocationError) {
        throw new Refused(`--to-database ${error.message}`);
      }
      throw error;
    }
  }
  return {
    dataDir: path.resolve(values['data-dir'] ?? process.env.BERTH_DATA_DIR ?? './data'),
    database: target,
    blobStore,
  };
}

async function main(): Promise<void> {
  const opts = options();
  if (!opts) {
    console.log(USAGE);
    return;
  }
  const dbFile = path.join(opts.dataDir, DB_FILE);
  if (!fs.existsSync(dbFile)) throw new Refused(`there is no Berth database at ${dbFile}`);
  if (firstStartInterrupted(opts.dataDir)) {
    throw new Refused(
      `the first start of ${opts.dataDir} did not finish: start Berth on it once (or remove it) before migrating`,
    );
  }
  // Refuses while a Berth has the database open; released until the copy starts.
  holdSqliteExclusively(dbFile).close();

  // Every check that can refuse, before anything is written anywhere.
  if (opts.database) {
    await checkDatabaseUrl(opts.database.url);
    await checkTargetDatabaseEmpty(opts.database.url, opts.database.shown);
  }
  const local = createFilesystemDriver(opts.dataDir);
  let blobs: { driver: ReturnType<typeof createS3Driver>; shown: string; close(): void } | null =
    null;
  if (opts.blobStore !== null) {
    const location = parseS3Location(opts.blobStore);
    const client = await connectS3(location);
    const shown = `s3://${location.bucket}/${location.prefix}`;
    try {
      const driver = createS3Driver({ client, bucket: location.bucket, prefix: location.prefix });
      await checkTargetBlobs(local, driver, shown);
      blobs = { driver, shown, close: () => client.destroy() };
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  try {
    // The source at the latest schema, as this Berth's start would leave it.
    await (await openSqlite(dbFile)).close();
    const source = holdSqliteExclusively(dbFile);
    try {
      if (blobs) {
        phase = 'blobs';
        let shownAt = 0;
        // Encrypted at rest (issue 18): their stored bytes are ciphertext, copied as they are.
        const storedForm = new Set(
          source.prepare('SELECT digest FROM encrypted_blobs').pluck().all() as string[],
        );
        const result = await copyBlobs(local, blobs.driver, {
          concurrency: 4,
          storedForm,
          onProgress: (p) => {
            const now = Date.now();
            if (p.blobs < p.totalBlobs && now - shownAt < 1000) return;
            shownAt = now;
            say(`blobs ${p.blobs}/${p.totalBlobs}, ${mib(p.bytes)} of ${mib(p.totalBytes)}`);
          },
        });
        say(
          `blobs: ${result.copied} copied (${mib(result.bytes)})${result.present ? `, ${result.present} already in the bucket and checked` : ''}`,
        );
      }
      if (opts.database) {
        phase = 'metadata';
        const target = await openPostgres(opts.database.url, { poolSize: 2 });
        try {
          const copied = await copyMetadata(source, target.db, (p) => {
            if (p.done) say(`table ${p.table}: ${p.rows} row(s)`);
          });
          const rows = [...copied.values()].reduce((a, b) => a + b, 0);
          say(`metadata: ${rows} row(s) in ${copied.size} tables, counts checked`);
        } finally {
          await target.close();
        }
      }
    } finally {
      source.close();
    }
  } finally {
    blobs?.close();
  }

  const settings = [
    opts.database ? `BERTH_DATABASE_URL=${opts.database.shown}` : null,
    blobs ? `BERTH_BLOB_STORE=${opts.blobStore}` : null,
  ].filter(Boolean);
  const keyFile = path.resolve(
    process.env.BERTH_ROOT_KEY_FILE ?? path.join(opts.dataDir, 'root.key'),
  );
  const key = process.env.BERTH_ROOT_KEY
    ? 'the same BERTH_ROOT_KEY'
    : fs.existsSync(keyFile)
      ? `BERTH_ROOT_KEY_FILE=${keyFile} (a copy of it on every machine)`
      : 'the root key this installation used';
  console.log(`migrated ${opts.dataDir}`);
  console.log(`start every Berth process with ${settings.join(' ')} and ${key}`);
  console.log(`${opts.dataDir} is unchanged: keep it as the backup until the new set-up has run`);
}

main().catch((error: unknown) => {
  const known =
    error instanceof Refused ||
    error instanceof MoveRefusedError ||
    error instanceof DatabaseLocationError ||
    error instanceof S3LocationError ||
    error instanceof DataDirBusyError;
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof BlobCopyError) {
    message = `migration failed: ${message}; no metadata was copied, and a run after the fix skips the blobs copied already`;
  } else if (phase === 'metadata') {
    message = `migration failed: ${message}; the database holds no rows (the copy is one transaction)`;
  } else if (!known) {
    message = `migration failed: ${message}`;
  }
  console.error(hidePasswords(message));
  process.exit(1);
});
