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
import { parseArgs } from 'node:util';
import { createStore } from '@berth/store';
import { loadConfig } from '../config.js';
import { importAdvisories } from '../services/advisories/advisory-import.js';
import { outputIsJson, runCommand, UsageError } from './command-exit.js';
import { openConfiguredDatabase } from './configured-installation.js';

const USAGE = `usage: berth advisories import <file.json|file.zip|directory> [...] [--output json]
       berth advisories status [--output json]`;

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
  const json = outputIsJson(values.output, 'table');
  if (command !== 'import' && command !== 'status') throw new UsageError(USAGE);
  if (command === 'import' && paths.length === 0) {
    throw new UsageError('berth advisories import needs at least one file or directory');
  }
  if (command === 'status' && paths.length > 0) throw new UsageError(USAGE);
  const handle = await openConfiguredDatabase(loadConfig(process.env));
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

runCommand('advisories', () => main(process.argv.slice(2)));
