/**
 * Advisory data for vulnerability matching, imported by the operator (Berth runs without
 * internet access):
 *
 *   berth advisories import <file.json|file.zip|dir> [...] [--output json]
 *   berth advisories status [--output json]
 *
 * `import` takes OSV records: one per .json file, or the .zip exports osv.dev publishes per
 * ecosystem (e.g. https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip), or a
 * directory of either. Imports are incremental and may run while Berth serves. The server's
 * environment (BERTH_DATA_DIR, BERTH_DATABASE_URL) says which database.
 * Exit codes: 0 done, 1 failed (nothing half-stored: each batch is one transaction), 2 usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createStore, openPostgres, openSqlite, type StoreHandle } from '@berth/store';
import { loadConfig } from '../config.js';
import { importAdvisories } from '../services/advisories/advisory-import.js';
import { SourceError } from '../services/advisories/advisory-sources.js';

const USAGE = `usage: berth advisories import <file.json|file.zip|directory> [...] [--output json]
       berth advisories status [--output json]`;

class UsageError extends Error {}

async function openConfiguredDatabase(): Promise<StoreHandle> {
  const config = loadConfig(process.env);
  if (config.databaseUrl !== null) return openPostgres(config.databaseUrl, { poolSize: 2 });
  const dbFile = path.join(config.dataDir, 'berth.db');
  if (!fs.existsSync(dbFile)) {
    throw new SourceError(
      `no Berth database at ${dbFile}: start Berth once, or set BERTH_DATA_DIR`,
    );
  }
  return openSqlite(dbFile);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      output: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, ...paths] = positionals;
  if (values.output !== 'table' && values.output !== 'json') {
    throw new UsageError(`--output is table or json, not ${values.output}`);
  }
  if (command !== 'import' && command !== 'status') throw new UsageError(USAGE);
  if (command === 'import' && paths.length === 0) {
    throw new UsageError('berth advisories import needs at least one file or directory');
  }
  if (command === 'status' && paths.length > 0) throw new UsageError(USAGE);
  const json = values.output === 'json';
  const handle = await openConfiguredDatabase();
  try {
    const store = createStore(handle.db);
    if (command === 'status') {
      const status = await store.advisories.status();
      if (json) console.log(JSON.stringify(status, null, 2));
      else printStatus(status);
      return;
    }
    const report = await importAdvisories(store, paths, {
      actor: 'cli:advisories',
      now: () => Date.now(),
    });
    if (json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(
      `imported ${report.added} new and ${report.updated} updated advisories; ` +
        `${report.unchanged} were already current, ${report.skipped} skipped`,
    );
    for (const reason of report.reasons) console.log(`  skipped ${reason}`);
    if (report.added + report.updated > 0) {
      console.log('running servers re-match the stored scan results within the hour');
    }
    if (report.skipped > report.reasons.length) {
      console.log(`  … and ${report.skipped - report.reasons.length} more`);
    }
  } finally {
    await handle.close();
  }
}

function printStatus(
  status: Awaited<ReturnType<ReturnType<typeof createStore>['advisories']['status']>>,
) {
  if (status.advisories === 0) {
    console.log('no advisory data: import some with berth advisories import <file|dir>');
    return;
  }
  const day = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString());
  console.log(`${status.advisories} advisories, newest modified ${day(status.newestModified)}`);
  if (status.lastImport) {
    console.log(
      `last import ${day(status.lastImport.finishedAt)} from ${status.lastImport.source}`,
    );
  }
  for (const e of status.ecosystems) console.log(`  ${e.ecosystem.padEnd(24)} ${e.advisories}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof UsageError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(message);
    process.exit(2);
  }
  console.error(`berth advisories: ${message}`);
  process.exit(1);
});
