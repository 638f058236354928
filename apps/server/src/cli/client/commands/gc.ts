import { apiPaths, gcReport, gcRunBody } from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group } from '../command.js';
import { fields, formatSize } from '../output.js';

const routes = { run: route('post', '/api/v1/gc/runs', gcReport, gcRunBody) };

// The API records no garbage-collection history (POST only), so there is no `gc runs`.
const run: Command = {
  name: 'run',
  summary: 'remove blobs nothing references, stale uploads and stray files now (admin)',
  positionals: 0,
  options: { 'dry-run': { type: 'boolean', description: 'only report what would be removed' } },
  async run(ctx, v) {
    const dryRun = bool(v, 'dry-run');
    const r = await ctx.api.call(routes.run, apiPaths.gcRuns(), { body: { dryRun } });
    ctx.print(r, () =>
      fields([
        [dryRun ? 'would remove blobs' : 'removed blobs', `${r.blobs} (${formatSize(r.bytes)})`],
        ['stale links', String(r.staleLinks)],
        ['uploads', `${r.uploads} (${formatSize(r.uploadBytes)})`],
        ['stray files', `${r.strayFiles} (${formatSize(r.strayBytes)})`],
      ]),
    );
  },
};

export const gcGroup: Group = {
  name: 'gc',
  summary: 'garbage collection (admin)',
  commands: [run],
};
