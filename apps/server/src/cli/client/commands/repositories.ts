import { apiPaths, repositoriesTrashed, repositoryList } from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { formatSize, formatTime, table } from '../output.js';
import { namespaceArg, repositoryArg } from '../references.js';
import { confirmTyped } from '../terminal.js';
import { exportRepository } from './repository-export.js';

const routes = {
  list: route('get', '/api/v1/namespaces/{namespace}/repositories', repositoryList),
  remove: route(
    'delete',
    '/api/v1/namespaces/{namespace}/repositories/{repository}',
    repositoriesTrashed,
  ),
};

const SORTS: Record<string, 'name' | 'imageCount' | 'sizeBytes' | 'lastPushedAt'> = {
  name: 'name',
  images: 'imageCount',
  size: 'sizeBytes',
  pushed: 'lastPushedAt',
};

const list: Command = {
  name: 'list',
  summary: 'repositories of a namespace',
  args: '<namespace>',
  positionals: 1,
  options: {
    search: { type: 'string', value: 'TEXT', description: 'names containing TEXT' },
    sort: { type: 'string', value: 'KEY', description: 'name (default), images, size or pushed' },
    desc: { type: 'boolean', description: 'largest / newest first' },
    ...pagingOptions,
  },
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    const sortKey = str(v, 'sort') ?? 'name';
    const sort = SORTS[sortKey];
    if (!sort) throw usageError(`--sort takes name, images, size or pushed (got "${sortKey}")`);
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.repositories(namespace), {
          query: {
            q: str(v, 'search'),
            sort,
            order: bool(v, 'desc') ? 'desc' : undefined,
            cursor,
            limit,
          },
        }),
      (items) =>
        table(
          ['REPOSITORY', 'IMAGES', 'SIZE', 'LAST PUSHED'],
          items.map((r) => [
            r.name,
            String(r.imageCount),
            formatSize(r.sizeBytes),
            formatTime(r.lastPushedAt),
          ]),
        ),
      `no repositories in ${namespace}`,
    );
  },
};

/** The repository's counts, for the confirmation (the list's search finds it among others). */
async function findRepository(ctx: Context, namespace: string, repository: string) {
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.api.call(routes.list, apiPaths.repositories(namespace), {
      query: { q: repository, cursor, limit: 200 },
    });
    const found = page.items.find((r) => r.name === repository);
    if (found) return found;
    if (!page.nextCursor) {
      throw new CliError(EXIT.notFound, `repository ${namespace}/${repository} does not exist`);
    }
    cursor = page.nextCursor;
  }
}

const rm: Command = {
  name: 'rm',
  summary: 'move every image of a repository to the trash',
  args: '<namespace>/<repository>',
  positionals: 1,
  details:
    'Shows how many images and how much storage go to the trash (restorable for 30 days),\n' +
    'then asks you to type the repository name. Without a terminal, --force is required.',
  options: { force: { type: 'boolean', short: 'f', description: 'do not ask' } },
  async run(ctx, v, [ref]) {
    const { namespace, repository } = repositoryArg(ref!);
    const repo = await findRepository(ctx, namespace, repository);
    ctx.term.err(
      `Moving ${repo.imageCount} images (${formatSize(repo.sizeBytes)}) of ${namespace}/${repository} to the trash.\n`,
    );
    await confirmTyped(
      ctx.term,
      bool(v, 'force'),
      repository,
      `Type the repository name (${repository}) to go ahead: `,
    );
    const done = await ctx.api.call(routes.remove, apiPaths.repository(namespace, repository));
    ctx.print(
      done,
      () =>
        `moved ${done.images} images (${formatSize(done.sizeBytes)}) of ${namespace}/${repository} to the trash\n`,
    );
  },
};

export const repositoriesGroup: Group = {
  name: 'repos',
  summary: 'list repositories, move one to the trash, download one as an OCI layout',
  commands: [list, rm, exportRepository],
};
