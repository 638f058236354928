import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  type BlobDriver,
  checkDatabaseUrl,
  checkTargetDatabaseEmpty,
  copyMetadata,
  openPostgres,
  openSqlite,
} from '@berth/store';
import { DB_FILE } from '../../data-dir.js';
import { namespaceKeyContext } from '../encryption/image-data-keys.js';
import { createKeyring, parseRootKeys, RootKeyError, rootKeyId } from '../projects/keyring.js';
import { BackupError } from './backup-format.js';
import { keptBlobAddress, localDatabaseFile, openKeptBlob } from './backup-reader.js';
import type { CompleteBackup } from './backup-target.js';
import { syncDirectory, syncFile } from '../../durable-files.js';
import {
  checkDatabaseHasNoTables,
  countTables,
  emptyDatabase,
  restorePostgresDump,
} from './postgres-dump.js';
import { fileChecksum } from './take-backup.js';

export interface RestoreOptions {
  backup: CompleteBackup;
  /** The new installation's data directory: missing or empty. */
  dataDir: string;
  /** Blob store to restore into: the data directory's (filesystem) or an S3 prefix's, raw. */
  blobs: { driver: BlobDriver; shown: string; local: boolean };
  /** PostgreSQL to restore the metadata into; null: SQLite in the data directory. */
  database: { url: string; shown: string } | null;
  /** The root keys the restored installation will run with (text of a key file or env). */
  rootKeys: { text: string; source: string } | null;
  concurrency?: number;
  onProgress?: (line: string) => void;
  /**
   * Brings a restored pg_dump to this Berth's schema (its migrations, as a first start would
   * run them). Injectable so a test can make this last step fail.
   */
  migratePostgres?: (url: string) => Promise<void>;
}

const migratePostgres = async (url: string) => {
  await (await openPostgres(url, { poolSize: 1 })).close();
};

export interface RestoreResult {
  id: string;
  blobs: number;
  bytes: number;
  rows: number | null;
}

/**
 * Restores a backup into an empty installation. Everything that can refuse is checked before
 * anything is written: the targets are empty, the database file is the one the manifest
 * names, and the configured root key unwraps every data key of the snapshot. Blobs are written
 * with putStored, which checks each one's bytes against the manifest as it streams; the
 * database comes last (a rename, or one PostgreSQL transaction), and a run that fails removes
 * what it wrote, so the targets are empty again.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const { backup } = opts;
  const { manifest } = backup;
  const dataDir = path.resolve(opts.dataDir);
  const createdDir = !fs.existsSync(dataDir);
  if (!createdDir) {
    if (!fs.statSync(dataDir).isDirectory()) throw new BackupError(`${dataDir} is not a directory`);
    const entries = fs.readdirSync(dataDir);
    if (entries.length > 0) {
      throw new BackupError(
        `${dataDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): restore into an empty data directory`,
      );
    }
  }
  const fromPostgres = manifest.engine === 'postgres';
  if (fromPostgres && !opts.database) {
    throw new BackupError(
      `backup ${manifest.id} is of a PostgreSQL installation (a pg_dump archive): restore it into an empty PostgreSQL database with --to-database; restoring it into SQLite is not supported`,
    );
  }
  let tablesBefore: number | null = null;
  if (opts.database) {
    await checkDatabaseUrl(opts.database.url);
    if (fromPostgres) await checkDatabaseHasNoTables(opts.database.url, opts.database.shown);
    else await checkTargetDatabaseEmpty(opts.database.url, opts.database.shown);
    tablesBefore = await countTables(opts.database.url);
  }
  if (!opts.blobs.local) {
    for await (const digest of opts.blobs.driver.list()) {
      throw new BackupError(
        `${opts.blobs.shown} already holds blobs (${digest}, …): restore into an empty bucket prefix`,
      );
    }
  }
  const local = await localDatabaseFile(backup);
  try {
    return await restoreFrom(opts, local.file, local.where, dataDir, createdDir, tablesBefore);
  } finally {
    local.release();
  }
}

async function restoreFrom(
  opts: RestoreOptions,
  dbFile: string | null,
  dbWhere: string,
  dataDir: string,
  createdDir: boolean,
  tablesBefore: number | null,
): Promise<RestoreResult> {
  const { backup } = opts;
  const { manifest } = backup;
  const fromPostgres = manifest.engine === 'postgres';
  if (dbFile === null) throw new BackupError(`the backup's database file ${dbWhere} is missing`);
  const dbSum = await fileChecksum(dbFile);
  if (dbSum.sha256 !== manifest.database.sha256 || dbSum.size !== manifest.database.size) {
    throw new BackupError(
      `the backup's database file ${dbWhere} is damaged (its sha256 is not the manifest's): run berth backup verify`,
    );
  }
  checkRootKeys(opts, fromPostgres ? null : dbFile);

  const written: string[] = [];
  let bytes = 0;
  let databaseWritten = false;
  try {
    if (createdDir) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const queue = [...manifest.blobs];
    let done = 0;
    let shownAt = 0;
    const worker = async () => {
      for (let blob = queue.shift(); blob; blob = queue.shift()) {
        const kept = await openKeptBlob(backup, blob.sha256);
        if (!kept) {
          throw new BackupError(
            `blob ${blob.digest} is missing from the backup (${keptBlobAddress(backup, blob.sha256)})`,
          );
        }
        const file = kept.where;
        written.push(blob.digest);
        try {
          await opts.blobs.driver.putStored(blob.digest, kept.stream, {
            sha256: blob.sha256,
            size: blob.size,
          });
        } catch (error) {
          if ((error as Error).name === 'StoredBytesMismatchError') {
            throw new BackupError(`blob ${blob.digest} is damaged in the backup (${file})`);
          }
          throw error;
        }
        bytes += blob.size;
        done += 1;
        if (Date.now() - shownAt > 1000 || done === manifest.blobs.length) {
          shownAt = Date.now();
          opts.onProgress?.(`blobs ${done}/${manifest.blobs.length}`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));

    let rows: number | null = null;
    if (opts.database) databaseWritten = true;
    if (opts.database && fromPostgres) {
      await restorePostgresDump(dbFile, opts.database.url);
      // A dump of an older Berth is brought to this one's schema, as its first start would.
      await (opts.migratePostgres ?? migratePostgres)(opts.database.url);
      rows = Object.values(manifest.counts).reduce((a, b) => a + b, 0);
      opts.onProgress?.(`database restored by pg_restore: ${rows} row(s)`);
    } else if (opts.database) {
      rows = await restoreIntoPostgres(dbFile, opts.database.url, opts.onProgress);
    } else {
      const tmp = path.join(dataDir, `${DB_FILE}.restoring`);
      fs.copyFileSync(dbFile, tmp);
      const copied = await fileChecksum(tmp);
      if (copied.sha256 !== manifest.database.sha256) {
        throw new BackupError(`the database file changed while it was copied to ${tmp}`);
      }
      syncFile(tmp);
      fs.renameSync(tmp, path.join(dataDir, DB_FILE));
      syncDirectory(dataDir);
    }
    return { id: manifest.id, blobs: manifest.blobs.length, bytes, rows };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let undone: string;
    try {
      undone = await undo(
        opts,
        dataDir,
        createdDir,
        written,
        databaseWritten && tablesBefore === 0,
      );
    } catch (undoError) {
      throw new BackupError(
        `${message}; undoing the restore failed too (${(undoError as Error).message}): empty ${dataDir}${opts.database ? ` and ${opts.database.shown}` : ''}${opts.blobs.local ? '' : ` and ${opts.blobs.shown}`} before trying again`,
        { cause: error },
      );
    }
    throw new BackupError(`${message}; the restore was undone (${undone})`, { cause: error });
  }
}

/**
 * Back to empty: the data directory was empty (or absent), the prefix held no blobs, and the
 * PostgreSQL database had no tables (or, for a SQLite backup, Berth's tables without rows: the
 * metadata copy is one transaction, rolled back on failure). Returns what it removed, in words.
 */
async function undo(
  opts: RestoreOptions,
  dataDir: string,
  createdDir: boolean,
  written: string[],
  dropTables: boolean,
): Promise<string> {
  const said: string[] = [];
  if (!opts.blobs.local) {
    for (const digest of written) await opts.blobs.driver.delete(digest).catch(() => false);
    said.push(`the blobs written under ${opts.blobs.shown} were deleted`);
  }
  if (dropTables && opts.database) {
    // pg_restore's transaction was committed before the step that failed (the migrations),
    // so the tables it created stay unless dropped here.
    await emptyDatabase(opts.database.url);
    if ((await countTables(opts.database.url)) > 0) {
      throw new Error(`${opts.database.shown} still holds tables after they were dropped`);
    }
    said.push(`the tables created in ${opts.database.shown} were dropped`);
  }
  if (fs.existsSync(dataDir)) {
    if (createdDir) {
      fs.rmSync(dataDir, { recursive: true, force: true });
    } else {
      for (const name of fs.readdirSync(dataDir)) {
        fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
      }
    }
  }
  said.push(`${dataDir} is ${createdDir ? 'gone' : 'empty'} again`);
  return said.join('; ');
}

/**
 * The snapshot's data keys must open under the root keys the new installation is given:
 * otherwise every project secret (and encrypted namespace) would restore as unreadable. The
 * ids (of every key_id and root_key_id column: projects' data keys and namespaces' image data
 * keys) are compared first, for a message that names what is missing; then each of those keys
 * is unwrapped, which also catches a key file that merely shares a fingerprint.
 */
function checkRootKeys(opts: RestoreOptions, dbFile: string | null): void {
  const needed = opts.backup.manifest.rootKeyIds;
  if (needed.length === 0) return;
  if (!opts.rootKeys) {
    throw new BackupError(
      `this backup's data keys are wrapped by root key(s) ${needed.join(', ')}: give the installation's root key (--root-key-file FILE, BERTH_ROOT_KEY_FILE or BERTH_ROOT_KEY)`,
    );
  }
  let keys: Buffer[];
  try {
    keys = parseRootKeys(opts.rootKeys.text, opts.rootKeys.source);
  } catch (error) {
    throw new BackupError((error as Error).message);
  }
  const have = new Set(keys.map(rootKeyId));
  const missing = needed.filter((id) => !have.has(id));
  if (missing.length > 0) {
    throw new BackupError(
      `the root key(s) in ${opts.rootKeys.source} (id ${[...have].join(', ')}) cannot unwrap this backup's data keys: it needs root key id ${missing.join(', ')}`,
    );
  }
  // A pg_dump archive cannot be queried before it is restored: its ids were compared above.
  if (dbFile === null) return;
  const ring = createKeyring({ read: () => keys });
  const db = new SqliteDatabase(dbFile, { readonly: true, fileMustExist: true });
  try {
    const projects = db.prepare('SELECT id, key_id, data_key FROM projects').all() as {
      id: string;
      key_id: string;
      data_key: Buffer;
    }[];
    for (const p of projects) {
      try {
        ring.unwrapDataKey(p.id, p.key_id, p.data_key);
      } catch (error) {
        if (!(error instanceof RootKeyError)) throw error;
        throw new BackupError(
          `the root key in ${opts.rootKeys.source} cannot unwrap project ${p.id}'s data key (${error.message})`,
        );
      }
    }
    // Namespaces' keys (image data encrypted at rest), in backups taken since they exist.
    const hasNamespaceKeys = db
      .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'namespace_keys'`)
      .get();
    const namespaceKeys = hasNamespaceKeys
      ? (db.prepare('SELECT namespace_id, root_key_id, wrapped_key FROM namespace_keys').all() as {
          namespace_id: number;
          root_key_id: string;
          wrapped_key: string;
        }[])
      : [];
    for (const k of namespaceKeys) {
      try {
        ring.unwrapKey(
          namespaceKeyContext(k.namespace_id),
          k.root_key_id,
          Buffer.from(k.wrapped_key, 'base64'),
        );
      } catch (error) {
        if (!(error instanceof RootKeyError)) throw error;
        throw new BackupError(
          `the root key in ${opts.rootKeys.source} cannot unwrap the image data key of namespace ${k.namespace_id} (${error.message})`,
        );
      }
    }
  } finally {
    db.close();
  }
}

/**
 * The snapshot, brought to this Berth's schema in a scratch copy, then copied into PostgreSQL
 * by `berth migrate`'s metadata copy: one transaction, so a failure leaves no rows.
 */
async function restoreIntoPostgres(
  dbFile: string,
  url: string,
  onProgress?: (line: string) => void,
): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-restore-'));
  try {
    const copy = path.join(scratch, DB_FILE);
    fs.copyFileSync(dbFile, copy);
    await (await openSqlite(copy)).close();
    const source = new SqliteDatabase(copy, { readonly: true, fileMustExist: true });
    const target = await openPostgres(url, { poolSize: 2 });
    try {
      const copied = await copyMetadata(source, target.db, (p) => {
        if (p.done) onProgress?.(`table ${p.table}: ${p.rows} row(s)`);
      });
      return [...copied.values()].reduce((a, b) => a + b, 0);
    } finally {
      await target.close();
      source.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
