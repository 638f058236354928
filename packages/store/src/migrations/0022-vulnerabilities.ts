import type { Kysely } from 'kysely';
import { engineOf } from '../store-handle.js';

/**
 * Vulnerability scanning (issue 17). Advisory data the operator imports (OSV records), for matching the packages found in
 * images. `advisory_packages` is what a scan looks a package up by: (ecosystem, name) gives
 * the advisories that may affect it, and their ranges decide. `advisory_imports` records each
 * import, so the console can say how old the data is. Portable schema: SQLite and PostgreSQL.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = engineOf(db) === 'postgres';
  await db.schema
    .createTable('advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'bigint', (c) => c.notNull())
    .addColumn('published', 'bigint')
    .addColumn('withdrawn', 'bigint')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('affected', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('advisory_packages')
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) =>
      c.notNull().references('advisories.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('advisory_packages_pk', ['ecosystem', 'name', 'advisory_id'])
    .execute();
  await db.schema
    .createIndex('advisory_packages_advisory')
    .on('advisory_packages')
    .column('advisory_id')
    .execute();
  await db.schema
    .createTable('advisory_imports')
    .addColumn('id', postgres ? 'bigint' : 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('added', 'integer', (c) => c.notNull())
    .addColumn('updated', 'integer', (c) => c.notNull())
    .addColumn('unchanged', 'integer', (c) => c.notNull())
    .addColumn('skipped', 'integer', (c) => c.notNull())
    .execute();
  // The scan queue: one row per image waiting (a push, a person's request, new advisory
  // data); a process claims a row for a while (lease), so each scan runs once across
  // processes, and a crashed process's claim runs out and is taken again.
  await db.schema
    .createTable('scan_requests')
    .addColumn('manifest_id', 'bigint', (c) =>
      c.primaryKey().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('scan_requests_queue')
    .on('scan_requests')
    .columns(['claimed_until', 'requested_at'])
    .execute();
  // Results outlive the image (kept their 30 days for audits, contract: Vulnerability scans):
  // they name it by namespace, repository and digest, not by a row that may go.
  await db.schema
    .createTable('scan_results')
    .addColumn('id', postgres ? 'bigint' : 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('manifest_id', 'bigint', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('generated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('distro', 'text')
    .addColumn('packages', 'integer', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('high', 'integer', (c) => c.notNull())
    .addColumn('medium', 'integer', (c) => c.notNull())
    .addColumn('low', 'integer', (c) => c.notNull())
    .addColumn('unknown', 'integer', (c) => c.notNull())
    .addColumn('fixable', 'integer', (c) => c.notNull())
    /** JSON array of the inventory's packages: what a re-match reads instead of the layers. */
    .addColumn('inventory', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('scan_results_image')
    .on('scan_results')
    .columns(['manifest_id', 'generated_at'])
    .execute();
  await db.schema
    .createIndex('scan_results_expiry')
    .on('scan_results')
    .column('expires_at')
    .execute();
  await db.schema
    .createTable('scan_findings')
    .addColumn('result_id', 'bigint', (c) =>
      c.notNull().references('scan_results.id').onDelete('cascade'),
    )
    /** The package's place in the result's inventory. */
    .addColumn('package', 'integer', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('fixed', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_findings_pk', ['result_id', 'package', 'advisory_id'])
    .execute();
}
