/**
 * Exports images to an OCI image layout tar (image-spec image-layout.md), which skopeo,
 * podman and crane read (`skopeo copy oci-archive:<file>:<repository>:<tag> …`):
 *
 *   berth export <namespace>[/<repository>[:<tag>|@<digest>]] --out <file.tar> [--output json]
 *
 * Live images only (not the trash), with their tags, index children and referrers
 * (signatures, SBOMs). See docs/export-import.md for the ref-name scheme. Reads through the
 * registry's pull path, over the server's configured database and blob store
 * (BERTH_DATA_DIR, BERTH_DATABASE_URL, BERTH_BLOB_STORE); may run while Berth serves.
 * The tar is written beside <file.tar> and renamed into place once complete, so a failed
 * export (a blob whose bytes do not match its digest: a corrupt store) leaves no file.
 * Exit codes: 0 exported, 1 failed (nothing written), 2 usage.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { BerthError } from '@berth/domain';
import { formatSize } from './client/output.js';
import { processTerminal } from './client/terminal.js';
import { outputIsJson, runCommand, UsageError } from './command-exit.js';
import { openCliRegistry } from './configured-registry.js';
import {
  parseExportSelection,
  planExport,
  writeExport,
} from '../services/oci-layout/oci-export.js';

const USAGE = `usage: berth export <namespace>[/<repository>[:<tag>|@<digest>]] --out <file.tar> [--output json]

Writes the selected live images (tags, index children, referrers) as an OCI image layout tar.
Exit codes: 0 exported, 1 failed (no file left), 2 usage.`;

/** Set once the options are read: a failure is then reported on stdout as JSON too. */
let jsonOutput = false;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
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
  jsonOutput = outputIsJson(values.output, 'table');
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(USAGE);
  if (!values.out) throw new UsageError(`--out <file.tar> is required\n${USAGE}`);
  let selection;
  try {
    selection = parseExportSelection(positionals[0]);
  } catch (error) {
    if (error instanceof BerthError) throw new UsageError(error.message);
    throw error;
  }
  const out = values.out;
  const started = Date.now();
  const cli = await openCliRegistry();
  const partial = `${out}.partial-${process.pid}`;
  try {
    const plan = await planExport(cli, selection);
    const file = fs.createWriteStream(partial, { flags: 'wx' });
    try {
      // On a terminal, a progress line on stderr (a large namespace takes minutes); a few
      // updates a second at most, so a fast store is not slowed by redrawing.
      const term = processTerminal();
      let done = 0;
      let shownAt = 0;
      await writeExport(cli, plan, file, (bytes) => {
        done += bytes;
        const now = Date.now();
        if (now - shownAt < 250) return;
        shownAt = now;
        const percent = plan.contentBytes > 0 ? Math.floor((100 * done) / plan.contentBytes) : 100;
        term.progress(
          `exporting: ${formatSize(done)} of ${formatSize(plan.contentBytes)} (${percent} %)`,
        );
      });
      term.progress(null);
      fs.renameSync(partial, out);
    } finally {
      fs.rmSync(partial, { force: true });
    }
    const result = {
      file: out,
      namespace: plan.namespace,
      images: plan.images,
      tags: plan.tags,
      contentBytes: plan.contentBytes,
      archiveBytes: plan.tarBytes,
      seconds: (Date.now() - started) / 1000,
    };
    if (jsonOutput) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(
        `exported ${result.images} image(s) with ${result.tags} tag(s) from ${selection.namespace}` +
          `${selection.repository ? `/${selection.repository}` : ''} to ${out} ` +
          `(${result.archiveBytes} bytes) in ${result.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    await cli.close();
  }
}

runCommand(
  'export',
  () => main(process.argv.slice(2)),
  (message) => {
    if (jsonOutput) console.log(JSON.stringify({ error: message }, null, 2));
  },
);
