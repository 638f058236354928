import {
  type Kysely,
  sql,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
} from 'kysely';
import * as initial from './0001-initial.js';
import * as registry from './0002-registry.js';
import * as retention from './0003-retention.js';
import * as projects from './0004-projects.js';
import * as identity from './0005-identity.js';
import * as imageModel from './0006-image-model.js';
import * as firstStart from './0007-first-start.js';
import * as operations from './0008-operations.js';
import * as gcLinkCheck from './0009-gc-link-check.js';
import * as trashRunOrder from './0011-trash-run-order.js';
import * as operationFill from './0012-operation-fill.js';
import * as blobUnlinkMark from './0013-blob-unlink-mark.js';
import * as operationUndo from './0014-operation-undo.js';
import * as dropManifestDigestIndex from './0015-drop-manifest-digest-index.js';
import * as partialTrashEntryIndex from './0016-partial-trash-entry-index.js';
import * as partialListingIndexes from './0017-partial-listing-indexes.js';
import * as uploadSessions from './0018-upload-sessions.js';
import * as signInFailures from './0019-sign-in-failures.js';
import * as jobSlots from './0020-job-slots.js';
import * as vulnerabilities from './0022-vulnerabilities.js';
import * as retentionScanProtection from './0023-retention-scan-protection.js';
import * as scanNotes from './0024-scan-notes.js';
import * as encryptionKeys from './0025-encryption-keys.js';
import * as backupRuns from './0026-backup-runs.js';
import * as uploadSessionEncryption from './0027-upload-session-encryption.js';
import * as postgresPreviewCompression from './0021-postgres-preview-compression.js';
import * as postgresBaseline from '../postgres/baseline-schema.js';
import { analyzeAfterMigrating } from '../statistics.js';
import { engineOf } from '../store-handle.js';

// Migrations are compiled into the package, so start-up never scans the file system.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-registry': registry,
  '0003-retention': retention,
  '0004-projects': projects,
  '0005-identity': identity,
  '0006-image-model': imageModel,
  '0007-first-start': firstStart,
  '0008-operations': operations,
  '0009-gc-link-check': gcLinkCheck,
  '0011-trash-run-order': trashRunOrder,
  '0012-operation-fill': operationFill,
  '0013-blob-unlink-mark': blobUnlinkMark,
  '0014-operation-undo': operationUndo,
  '0015-drop-manifest-digest-index': dropManifestDigestIndex,
  '0016-partial-trash-entry-index': partialTrashEntryIndex,
  '0017-partial-listing-indexes': partialListingIndexes,
};

/**
 * PostgreSQL starts at the schema SQLite had reached by 0017 (postgres/baseline-schema.ts);
 * migrations after it are written once and run on both engines (portable types and SQL only),
 * except for settings that only PostgreSQL has (0021).
 */
const shared: Record<string, Migration> = {
  '0018-upload-sessions': uploadSessions,
  '0019-sign-in-failures': signInFailures,
  '0020-job-slots': jobSlots,
};
/** Shared migrations after PostgreSQL's own 0021. */
const sharedAfter: Record<string, Migration> = {
  '0022-vulnerabilities': vulnerabilities,
  '0023-retention-scan-protection': retentionScanProtection,
  '0024-scan-notes': scanNotes,
  '0025-encryption-keys': encryptionKeys,
  '0026-backup-runs': backupRuns,
  '0027-upload-session-encryption': uploadSessionEncryption,
};
const postgresMigrations: Record<string, Migration> = {
  '0017-postgres-baseline': postgresBaseline,
  ...shared,
  '0021-postgres-preview-compression': postgresPreviewCompression,
  ...sharedAfter,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function providerFor(db: Kysely<any>): MigrationProvider {
  const set =
    engineOf(db) === 'postgres' ? postgresMigrations : { ...migrations, ...shared, ...sharedAfter };
  return { getMigrations: async () => set };
}

/** Up to and including `name`: for tests that need a database as an older Berth left it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  check(await new Migrator({ db, provider: providerFor(db) }).migrateTo(name));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const outcome = await new Migrator({ db, provider: providerFor(db) }).migrateToLatest();
  check(outcome);
  if (engineOf(db) === 'postgres') {
    // Autovacuum analyses tables as they fill; a new schema gets its first statistics here.
    if ((outcome.results?.length ?? 0) > 0) await sql`ANALYZE`.execute(db);
    return;
  }
  // New indexes have no statistics yet, and the planner's guesses without them chose
  // whole-repository scans at scale (see statistics.ts).
  await analyzeAfterMigrating(db, (outcome.results?.length ?? 0) > 0);
}

function check({ error, results }: MigrationResultSet): void {
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
