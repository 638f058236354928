import {
  apiPaths,
  deleteRepositoriesBody,
  repositoriesTrashed,
  repositoryList,
  type RepositorySummary,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { formatSize, formatTime, table } from '../output.js';
import { namespaceArg, repositoryArg } from '../references.js';
import { confirmTyped } from '../terminal.js';
import { oneNamespace } from './images.js';
import { exportRepository } from './repository-export.js';

const routes = {
  list: route('get', '/api/v1/namespaces/{namespace}/repositories', repositoryList),
  remove: route(
    'delete',
    '/api/v1/namespaces/{namespace}/repositories/{repository}',
    repositoriesTrashed,
  ),
  removeMany: route(
    'post',
    '/api/v1/namespaces/{namespace}/repositories/delete',
    repositoriesTrashed,
    deleteRepositoriesBody,
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

/** What several repositories hold, shown before the question: the console's table, in text. */
function previewText(namespace: string, repos: RepositorySummary[]): string {
  const images = repos.reduce((sum, r) => sum + r.imageCount, 0);
  const bytes = repos.reduce((sum, r) => sum + r.sizeBytes, 0);
  return (
    `Moving ${images} images (${formatSize(bytes)}) of ${repos.length} repositories of ${namespace} to the trash:\n` +
    table(
      ['REPOSITORY', 'IMAGES', 'SIZE'],
      [
        ...repos.map((r) => [r.name, String(r.imageCount), formatSize(r.sizeBytes)]),
        ['total', String(images), formatSize(bytes)],
      ],
    )
  );
}

const rm: Command = {
  name: 'rm',
  summary: 'move every image of one or more repositories to the trash',
  args: '<namespace>/<repository>...',
  positionals: [1, Number.MAX_SAFE_INTEGER],
  details:
    'Shows how many images and how much storage go to the trash (restorable for 30 days),\n' +
    'then asks you to type the repository name; for several repositories (up to 100, all in\n' +
    'one namespace) it shows each one and the total, and asks for the namespace name. Without\n' +
    'a terminal, --force is required. A large delete runs as an operation the client follows.',
  options: { force: { type: 'boolean', short: 'f', description: 'do not ask' } },
  async run(ctx, v, args) {
    // Every name is checked before the first request: a typo in the last one changes nothing.
    const refs = args.map((a) => repositoryArg(a));
    const namespace = oneNamespace(refs);
    const names = [...new Set(refs.map((r) => r.repository))];
    if (names.length === 1) {
      const repository = names[0]!;
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
      return;
    }
    // The contract's limit is checked before the preview reads each repository.
    const body = deleteRepositoriesBody.safeParse({ repositories: names });
    if (!body.success) {
      throw usageError(
        `${names.length} repositories: ${body.error.issues[0]?.message ?? 'too many'}`,
      );
    }
    const repos: RepositorySummary[] = [];
    for (const name of names) repos.push(await findRepository(ctx, namespace, name));
    ctx.term.err(previewText(namespace, repos));
    // The console's confirmation of several repositories is labelled with the namespace; no
    // one repository name stands for all of them, so the namespace name is what is typed.
    await confirmTyped(
      ctx.term,
      bool(v, 'force'),
      namespace,
      `Type the namespace name (${namespace}) to move these ${repos.length} repositories to the trash: `,
    );
    const done = await ctx.api.call(routes.removeMany, apiPaths.repositoriesDelete(namespace), {
      body: body.data,
    });
    ctx.print(
      done,
      () =>
        done.repositories
          .map(
            (r) =>
              `moved ${r.images} images (${formatSize(r.sizeBytes)}) of ${namespace}/${r.name} to the trash\n`,
          )
          .join('') +
        `moved ${done.images} images (${formatSize(done.sizeBytes)}) of ${done.repositories.length} repositories to the trash\n`,
    );
  },
};

export const repositoriesGroup: Group = {
  name: 'repos',
  summary: 'list repositories, move them to the trash, download one as an OCI layout',
  commands: [list, rm, exportRepository],
};
