/**
 * `berth restore` (issue 18): a backup into an empty installation.
 *
 *   node apps/server/dist/cli/restore.js BACKUP|s3://… --data-dir DIR [--to-database postgres://…]
 *     [--to-blob-store s3://…] [--root-key-file FILE] [--output json]
 *
 * Exit codes: 0 restored, 1 failed or refused (the targets are left empty), 2 usage.
 * See docs/backups.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BlobDriver,
  createFilesystemDriver,
  DatabaseLocationError,
  MoveRefusedError,
  parseDatabaseUrl,
  parseS3Location,
  S3LocationError,
} from '@berth/store';
import { BackupError } from '../services/backup/backup-format.js';
import { type CompleteBackup, resolveBackup } from '../services/backup/backup-target.js';
import { connectS3Target, resolveS3Backup } from '../services/backup/s3-backup-target.js';
import { restoreBackup } from '../services/backup/restore-backup.js';
import { exitOnError, outputIsJson, UsageError } from './command-exit.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: berth restore BACKUP --data-dir DIR [--to-database postgres://…] [--to-blob-store s3://bucket/prefix?endpoint=…] [--root-key-file FILE] [--output json]

Restores BACKUP (a backup folder, or a backup target for its newest backup; either may be
an s3://bucket/prefix?endpoint=… address, read with the credentials as for BERTH_BLOB_STORE)
into a new, empty installation: the data directory DIR (missing or empty), with the metadata
in SQLite there or in the empty PostgreSQL database --to-database, and the blobs there or
under the empty S3 prefix --to-blob-store. Every blob's checksum is checked as it is written.
A backup of a PostgreSQL installation restores only into PostgreSQL (--to-database), into a
database with no tables, by Debian's pg_restore; into SQLite it is refused.
The root key (--root-key-file, else BERTH_ROOT_KEY or BERTH_ROOT_KEY_FILE) must unwrap the
backup's data keys; backups never hold key material.

Exit codes: 0 restored, 1 failed or refused (nothing is left behind), 2 usage.
See docs/backups.md.`;

const say = (line: string) => process.stderr.write(`${line}\n`);

function parse() {
  return parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'to-database': { type: 'string' },
      'to-blob-store': { type: 'string' },
      'root-key-file': { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}

function rootKeys(file: string | undefined): { text: string; source: string } | null {
  const chosen = file ?? (process.env.BERTH_ROOT_KEY ? undefined : process.env.BERTH_ROOT_KEY_FILE);
  if (chosen !== undefined) {
    const resolved = path.resolve(chosen);
    if (!fs.existsSync(resolved))
      throw new BackupError(`the root key file ${resolved} does not exist`);
    return { text: fs.readFileSync(resolved, 'utf8'), source: resolved };
  }
  if (process.env.BERTH_ROOT_KEY)
    return { text: process.env.BERTH_ROOT_KEY, source: 'BERTH_ROOT_KEY' };
  return null;
}

async function main(): Promise<number> {
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const json = outputIsJson(values.output, 'text');
  if (positionals.length !== 1) throw new UsageError('give one BACKUP');
  if (!values['data-dir']) {
    throw new UsageError('give --data-dir DIR for the restored installation');
  }
  let database: { url: string; shown: string } | null = null;
  if (values['to-database'] !== undefined) {
    try {
      database = parseDatabaseUrl(values['to-database']);
    } catch (error) {
      if (error instanceof DatabaseLocationError)
        throw new UsageError(`--to-database ${error.message}`);
      throw error;
    }
  }
  const given = positionals[0]!;
  const fromS3 = given.startsWith('s3://') ? await connectS3Target(given) : null;
  try {
    return await restore(
      fromS3 ? await resolveS3Backup(fromS3) : resolveBackup(given),
      values,
      database,
      json,
    );
  } finally {
    fromS3?.client.destroy();
  }
}

async function restore(
  backup: CompleteBackup,
  values: ReturnType<typeof parse>['values'],
  database: { url: string; shown: string } | null,
  json: boolean,
): Promise<number> {
  const dataDir = path.resolve(values['data-dir']!);
  let blobs: { driver: BlobDriver; shown: string; local: boolean; close(): void };
  const store = values['to-blob-store'];
  if (store === undefined) {
    blobs = {
      driver: createFilesystemDriver(dataDir),
      shown: dataDir,
      local: true,
      close: () => undefined,
    };
  } else {
    const { connectS3, createS3Driver } = await import('@berth/store/s3');
    const location = parseS3Location(store);
    const client = await connectS3(location);
    blobs = {
      driver: createS3Driver({ client, bucket: location.bucket, prefix: location.prefix }),
      shown: `s3://${location.bucket}/${location.prefix}`,
      local: false,
      close: () => client.destroy(),
    };
  }
  try {
    const result = await restoreBackup({
      backup,
      dataDir,
      blobs,
      database,
      rootKeys: rootKeys(values['root-key-file']),
      onProgress: say,
    });
    const settings = [
      `BERTH_DATA_DIR=${dataDir}`,
      database ? `BERTH_DATABASE_URL=${database.shown}` : null,
      store !== undefined ? `BERTH_BLOB_STORE=${store}` : null,
    ].filter(Boolean);
    if (json) {
      console.log(JSON.stringify({ restored: result.id, dataDir, ...result, settings }));
    } else {
      console.log(`restored backup ${result.id}: ${result.blobs} blob(s) into ${blobs.shown}`);
      const ids = backup.manifest.rootKeyIds;
      console.log(
        ids.length > 0
          ? `start Berth with ${settings.join(' ')} and the root key with id ${ids.join(', ')} (BERTH_ROOT_KEY_FILE or BERTH_ROOT_KEY)`
          : `start Berth with ${settings.join(' ')}; the backup holds no data keys, so any root key will do`,
      );
    }
    return 0;
  } finally {
    blobs.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) =>
    exitOnError(error, {
      failed: 'restore failed',
      known: [BackupError, MoveRefusedError, S3LocationError, DatabaseLocationError],
    }),
);
