import fs from 'node:fs';
import path from 'node:path';
import { apiPaths, repositoryExportPreview } from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { formatSize } from '../output.js';
import { repositoryArg } from '../references.js';

const REPO = '/api/v1/namespaces/{namespace}/repositories/{repository}';
const routes = {
  preview: route('get', `${REPO}/export/preview`, repositoryExportPreview),
  download: route('get', `${REPO}/export`, null),
};

/** How often the progress line is rewritten: often enough to look alive, not a flood. */
const PROGRESS_MS = 200;

/** Where the archive goes must be writable and roomy enough, checked before a byte is asked for. */
function checkTarget(file: string, bytes: number, force: boolean): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) throw usageError(`--out ${file} is a directory: give a file name`);
  if (stat && !force) {
    throw new CliError(EXIT.refused, `${file} exists; pass --force to replace it`);
  }
  const part = `${file}.part`;
  if (fs.existsSync(part)) {
    if (!force) {
      throw new CliError(
        EXIT.refused,
        `${part} exists (a download under way, or one that was killed); pass --force to start over`,
      );
    }
    fs.rmSync(part, { force: true });
  }
  let free: number;
  try {
    const fsStat = fs.statfsSync(dir);
    free = fsStat.bavail * fsStat.bsize;
  } catch (err) {
    throw usageError(
      `--out: cannot use ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (free < bytes) {
    throw new CliError(
      EXIT.refused,
      `${dir} has ${formatSize(free)} free; the archive needs ${formatSize(bytes)}`,
    );
  }
}

export const exportRepository: Command = {
  name: 'export',
  summary: 'download a repository as an OCI image layout tar (images, tags, signatures)',
  args: '<namespace>/<repository>',
  positionals: 1,
  details:
    'Shows what the archive holds, then writes it to --out (as <out>.part, renamed once every\n' +
    'byte the server announced has arrived: a broken download leaves nothing behind, exit 1).\n' +
    'Load it with ./berth import, skopeo copy oci-archive:FILE, or any OCI tool.',
  options: {
    out: { type: 'string', value: 'FILE', description: 'where to write the .tar (required)' },
    force: { type: 'boolean', short: 'f', description: 'replace --out if it exists' },
  },
  async run(ctx, v, [ref]) {
    const { namespace, repository } = repositoryArg(ref!);
    const out = str(v, 'out');
    if (out === undefined) throw usageError('--out FILE is required');
    const p = await ctx.api.call(
      routes.preview,
      apiPaths.repositoryExportPreview(namespace, repository),
    );
    ctx.term.err(
      `Exporting ${namespace}/${repository}: ${p.images} images, ${p.tags} tags, ${formatSize(p.archiveBytes)}\n`,
    );
    checkTarget(out, p.archiveBytes, bool(v, 'force'));
    let shown = 0;
    const what = `${namespace}/${repository}`;
    const done = await ctx.api.download(
      routes.download,
      apiPaths.repositoryExport(namespace, repository),
      out,
      (bytes, total) => {
        const now = Date.now();
        if (now - shown < PROGRESS_MS && bytes < total) return;
        shown = now;
        const pct = total === 0 ? 100 : Math.floor((bytes / total) * 100);
        ctx.term.progress(`${what}: ${formatSize(bytes)} of ${formatSize(total)} (${pct}%)`);
      },
    );
    ctx.term.progress(null);
    const result = { ...p, file: path.resolve(out), bytes: done.bytes };
    ctx.print(
      result,
      () => `wrote ${out}: ${formatSize(done.bytes)}, ${p.images} images, ${p.tags} tags\n`,
    );
  },
};
