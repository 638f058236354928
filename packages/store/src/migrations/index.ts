import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as initial from './0001-initial.js';
import * as registry from './0002-registry.js';
import * as retention from './0003-retention.js';
import * as projects from './0004-projects.js';
import * as identity from './0005-identity.js';

// Migrations are compiled into the package, so start-up never scans the file system.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-registry': registry,
  '0003-retention': retention,
  '0004-projects': projects,
  '0005-identity': identity,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
