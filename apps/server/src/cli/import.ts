/**
 * Imports an OCI image layout (a tar such as `skopeo copy … oci-archive:<file>` or
 * `berth export` writes, or a layout directory) into a namespace:
 *
 *   berth import <file.tar|directory> --into <namespace> [--repository <name>] [--output json]
 *
 * Every blob is checked against its digest and every manifest parsed before anything is
 * pushed; images then go in through the registry's own push path (quota, audit, scan-on-push
 * and dedup apply). Tags come from the ref names (`<repository>:<tag>`); `--repository` names
 * the repository for entries whose ref is only a tag or that have none. All-or-nothing per
 * image; the rule is in docs/export-import.md. Runs beside a serving Berth, over its
 * configured database and blob store (BERTH_DATA_DIR, BERTH_DATABASE_URL, BERTH_BLOB_STORE).
 * Exit codes: 0 everything imported, 1 failed or some images refused (the output says which),
 * 2 usage.
 */
import { parseArgs } from 'node:util';
import { BerthError, checkNamespaceName } from '@berth/domain';
import { outputIsJson, runCommand, UsageError } from './command-exit.js';
import { openCliRegistry } from './configured-registry.js';
import { LayoutError } from '../services/oci-layout/layout-archive.js';
import { importLayout, type ImportReport } from '../services/oci-layout/oci-import.js';

const USAGE = `usage: berth import <file.tar|directory> --into <namespace> [--repository <name>] [--output json]

Imports an OCI image layout; each image goes in whole or not at all.
Exit codes: 0 all imported, 1 failed or some images refused, 2 usage.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      into: { type: 'string' },
      repository: { type: 'string' },
      output: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const json = outputIsJson(values.output, 'table');
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(USAGE);
  if (!values.into) throw new UsageError(`--into <namespace> is required\n${USAGE}`);
  const check = checkNamespaceName(values.into);
  if (!check.ok) throw new UsageError(`--into: namespace "${values.into}" ${check.reason}`);
  const cli = await openCliRegistry();
  let report: ImportReport;
  try {
    report = await importLayout(cli, positionals[0], {
      namespace: values.into,
      repository: values.repository,
      actor: 'cli:import',
    });
  } catch (error) {
    if (!(error instanceof LayoutError || error instanceof BerthError)) throw error;
    if (json) {
      console.log(JSON.stringify({ error: error.message, imported: null }, null, 2));
    }
    console.error(`berth import: ${error.message}; nothing was imported`);
    return 1;
  } finally {
    await cli.close();
  }
  if (json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return report.refused > 0 ? 1 : 0;
}

function printReport(report: ImportReport): void {
  const { images, tags, bytes } = report.imported;
  console.log(
    `imported ${images} image(s) with ${tags} tag(s), ${bytes} bytes, into ${report.namespace}`,
  );
  for (const image of report.images) {
    const name = `${report.namespace}/${image.repository || '?'}`;
    const tagText = image.tags.length > 0 ? ` (${image.tags.join(', ')})` : ' (untagged)';
    if (image.status === 'imported') console.log(`  ok       ${name}@${image.digest}${tagText}`);
    else console.log(`  refused  ${name}@${image.digest}${tagText}: ${image.reason}`);
  }
  if (report.refused > 0) console.log(`${report.refused} image(s) were refused and not imported`);
}

runCommand('import', () => main(process.argv.slice(2)));
