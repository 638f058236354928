/**
 * `berth backup` (issue 18): an online backup of a running Berth, and its verification.
 *
 *   node apps/server/dist/cli/backup.js [TARGET|s3://…] [--data-dir DIR] [--output json]
 *   node apps/server/dist/cli/backup.js verify BACKUP [--output json]
 *   node apps/server/dist/cli/backup.js list TARGET [--output json]
 *   node apps/server/dist/cli/backup.js prune TARGET --keep N [--output json]
 *
 * Exit codes: 0 done (verify: the backup is whole), 1 failed (verify: named problems), 2 usage.
 * Progress goes to stderr; the result to stdout (a sentence, or JSON with --output json).
 * See docs/backups.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseS3Location, S3LocationError } from '@berth/store';
import { DB_FILE } from '../data-dir.js';
import { BackupError, TARGET_MARKER } from '../services/backup/backup-format.js';
import {
  type CompleteBackup,
  listBackups,
  openTarget,
  resolveBackup,
} from '../services/backup/backup-target.js';
import {
  connectS3Target,
  listS3Backups,
  openS3Target,
  resolveS3Backup,
  type S3Target,
} from '../services/backup/s3-backup-target.js';
import { pruneTarget } from '../services/backup/prune-backups.js';
import { takeBackup } from '../services/backup/take-backup.js';
import { verifyBackup } from '../services/backup/verify-backup.js';
import { exitOnError, outputIsJson, UsageError } from './command-exit.js';
import { openBlobStore } from './configured-installation.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: berth backup [TARGET] [--data-dir DIR] [--output json]
       berth backup verify BACKUP [--output json]
       berth backup list TARGET [--output json]
       berth backup prune TARGET --keep N [--output json]

Takes a consistent backup of the Berth installation in DIR (default: BERTH_DATA_DIR, or
./data) while it keeps running, into TARGET (default: BERTH_BACKUP_TARGET): a directory, or
an S3 prefix s3://bucket/prefix?endpoint=… with the same layout (credentials as for
BERTH_BLOB_STORE: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the SDK's other sources).
The metadata comes from BERTH_DATABASE_URL when set (PostgreSQL, dumped by Debian's pg_dump
from /usr/lib/postgresql/*/bin), else from DIR's SQLite database. Blobs come from
BERTH_BLOB_STORE when set (S3), else from DIR. A second backup into the same TARGET copies
only blobs the earlier ones do not hold.

verify BACKUP  checks a backup (a backup folder or prefix, or TARGET for its newest) without
               restoring it
list TARGET    lists the complete backups in TARGET (a directory or s3:// prefix)
prune TARGET   keeps the N newest complete backups in TARGET and removes the older ones,
               then every kept blob no remaining backup needs (what scheduled backups do
               after each run with BERTH_BACKUP_KEEP)

Exit codes: 0 done, 1 failed (or verify found problems, each named), 2 usage.
See docs/backups.md.`;

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const say = (line: string) => process.stderr.write(`${line}\n`);

function parse() {
  return parseArgs({
    options: {
      'data-dir': { type: 'string' },
      keep: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const json = outputIsJson(values.output, 'text');
  const [command, ...rest] = positionals;

  if (command === 'verify') {
    if (rest.length !== 1) throw new UsageError('verify takes one BACKUP');
    const [backup, close] = await resolveAny(rest[0]!);
    const report = await verifyBackup(backup, say).finally(close);
    if (json) console.log(JSON.stringify({ backup: backup.dir, ...report }));
    else if (report.ok) {
      console.log(
        `backup ${report.id} is whole: database and ${report.blobsChecked} blob(s) (${mib(report.bytesChecked)}) checked`,
      );
    } else {
      for (const problem of report.problems) console.error(problem);
      console.error(`backup ${report.id} is damaged: ${report.problems.length} problem(s)`);
    }
    return report.ok ? 0 : 1;
  }

  if (command === 'list') {
    if (rest.length !== 1) throw new UsageError('list takes one TARGET');
    let target: string;
    let complete: CompleteBackup[];
    if (rest[0]!.startsWith('s3://')) {
      const s3 = await connectS3Target(rest[0]!);
      target = s3.shown;
      complete = await listS3Backups(s3).finally(() => s3.client.destroy());
    } else {
      target = path.resolve(rest[0]!);
      resolveBackup(target);
      complete = listBackups(target);
    }
    const backups = complete.map(({ dir, manifest }) => ({
      id: manifest.id,
      dir,
      createdAt: manifest.createdAt,
      blobs: manifest.blobs.length,
      bytes: manifest.blobs.reduce((sum, b) => sum + b.size, 0) + manifest.database.size,
    }));
    if (json) console.log(JSON.stringify({ target, backups }));
    else
      for (const b of backups)
        console.log(`${b.id}  ${b.createdAt}  ${b.blobs} blob(s)  ${mib(b.bytes)}`);
    return 0;
  }

  if (command === 'prune') {
    if (rest.length !== 1) throw new UsageError('prune takes one TARGET');
    const keep = Number(values.keep);
    if (values.keep === undefined || !/^\d+$/.test(values.keep) || keep < 1) {
      throw new UsageError(
        'prune needs --keep N, the number of newest backups to keep (1 or more)',
      );
    }
    const given = rest[0]!;
    // A directory must be a backup target already: prune never creates one.
    if (!given.startsWith('s3://') && !fs.existsSync(path.join(given, TARGET_MARKER))) {
      throw new BackupError(
        `${path.resolve(given)} is not a Berth backup target (no ${TARGET_MARKER})`,
      );
    }
    const result = await pruneTarget(given.startsWith('s3://') ? given : path.resolve(given), keep);
    if (json) console.log(JSON.stringify({ target: given, keep, ...result }));
    else {
      console.log(
        `pruned ${result.backups} backup(s) and ${result.blobs} blob(s) (${mib(result.bytes)})${result.blobsSkipped ? '; blobs were left alone: another backup is being written into the target' : ''}`,
      );
    }
    return 0;
  }

  if (values.keep !== undefined) throw new UsageError('--keep belongs to prune');
  if (positionals.length > 1) throw new UsageError(`unexpected ${positionals.slice(1).join(' ')}`);
  const given = command ?? process.env.BERTH_BACKUP_TARGET;
  if (!given) throw new UsageError('give a TARGET directory (or set BERTH_BACKUP_TARGET)');
  const dataDir = path.resolve(values['data-dir'] ?? process.env.BERTH_DATA_DIR ?? './data');
  const started = Date.now();
  let target: string | S3Target;
  if (given.startsWith('s3://')) {
    target = await connectS3Target(given);
    await openS3Target(target).catch((error: unknown) => {
      (target as S3Target).client.destroy();
      throw error;
    });
  } else {
    target = openTarget(given);
  }
  const blobStore = process.env.BERTH_BLOB_STORE;
  const blobs = await openBlobStore(dataDir, blobStore ? parseS3Location(blobStore) : null);
  try {
    const result = await takeBackup({
      databaseFile: path.join(dataDir, DB_FILE),
      databaseUrl: process.env.BERTH_DATABASE_URL || null,
      blobs: blobs.blobs,
      target,
      onProgress: say,
    });
    const summary = {
      backup: result.dir,
      id: result.id,
      blobs: result.manifest.blobs.length,
      blobsCopied: result.blobsCopied,
      blobsPresent: result.blobsPresent,
      bytesCopied: result.bytesCopied,
      sizeBytes:
        result.manifest.database.size + result.manifest.blobs.reduce((sum, b) => sum + b.size, 0),
      blobsBeingDeleted: result.manifest.blobsBeingDeleted.length,
      database: result.manifest.database,
      rootKeyIds: result.manifest.rootKeyIds,
      attempts: result.attempts,
      durationMs: Date.now() - started,
    };
    if (json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `backup ${result.id} written to ${result.dir}: ${summary.blobs} blob(s), ${summary.blobsCopied} copied (${mib(summary.bytesCopied)}), ${summary.blobsPresent} already held`,
      );
    }
    return 0;
  } finally {
    blobs.close();
    if (typeof target !== 'string') target.client.destroy();
  }
}

/** A backup folder or target directory, or an s3:// address of either; then a close. */
async function resolveAny(given: string): Promise<[CompleteBackup, () => void]> {
  if (!given.startsWith('s3://')) return [resolveBackup(given), () => undefined];
  const s3 = await connectS3Target(given);
  try {
    return [await resolveS3Backup(s3), () => s3.client.destroy()];
  } catch (error) {
    s3.client.destroy();
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) =>
    exitOnError(error, { failed: 'backup failed', known: [BackupError, S3LocationError] }),
);
