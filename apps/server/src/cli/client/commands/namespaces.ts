import {
  apiPaths,
  createNamespaceBody,
  namespaceDeleted,
  namespaceDeletionPreview,
  namespaceList,
  namespaceSummary,
  type NamespaceSummary,
  regionList,
  updateNamespaceBody,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { fields, formatSize, formatTime, parseSize, table } from '../output.js';
import { namespaceArg } from '../references.js';
import { confirmTyped } from '../terminal.js';

const NS = '/api/v1/namespaces/{namespace}';
const routes = {
  regions: route('get', '/api/v1/regions', regionList),
  list: route('get', '/api/v1/namespaces', namespaceList),
  create: route('post', '/api/v1/namespaces', namespaceSummary, createNamespaceBody),
  get: route('get', NS, namespaceSummary),
  update: route('patch', NS, namespaceSummary, updateNamespaceBody),
  preview: route('get', `${NS}/deletion-preview`, namespaceDeletionPreview),
  remove: route('delete', NS, namespaceDeleted),
};

/** The region a command means: --region, else the deployment's default. */
export async function regionOf(ctx: Context, given: string | undefined): Promise<string> {
  if (given) return given;
  return (await ctx.api.call(routes.regions, apiPaths.regions())).defaultRegion;
}

function quotaOf(text: string): number {
  const bytes = parseSize(text);
  if (bytes === null)
    throw usageError(`--quota takes a size such as 500MB or 10GiB (got "${text}")`);
  return bytes;
}

const summaryFields = (n: NamespaceSummary): [string, string][] => [
  ['name', n.name],
  ['region', n.region],
  ['repositories', String(n.repositoryCount)],
  ['images', String(n.imageCount)],
  ['size', formatSize(n.sizeBytes)],
  ['trash', `${n.trashCount} images, ${formatSize(n.trashSizeBytes)}`],
  ['quota', n.quotaBytes === null ? 'none' : formatSize(n.quotaBytes)],
  ['public', n.public ? 'yes' : 'no'],
  ['created', formatTime(n.createdAt)],
  ['your role', n.role],
];

const list: Command = {
  name: 'list',
  summary: 'namespaces you can see',
  positionals: 0,
  options: {
    region: { type: 'string', value: 'REGION', description: 'only this region' },
    search: { type: 'string', value: 'TEXT', description: 'names containing TEXT' },
    ...pagingOptions,
  },
  async run(ctx, v) {
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.namespaces(), {
          query: { region: str(v, 'region'), q: str(v, 'search'), cursor, limit },
        }),
      (items) =>
        table(
          ['NAME', 'REGION', 'REPOSITORIES', 'IMAGES', 'SIZE', 'TRASH', 'QUOTA', 'ROLE'],
          items.map((n) => [
            n.name,
            n.region,
            String(n.repositoryCount),
            String(n.imageCount),
            formatSize(n.sizeBytes),
            String(n.trashCount),
            n.quotaBytes === null ? '-' : formatSize(n.quotaBytes),
            n.role,
          ]),
        ),
      'no namespaces',
    );
  },
};

const get: Command = {
  name: 'get',
  summary: 'one namespace: counts, size, quota',
  args: '<namespace>',
  positionals: 1,
  async run(ctx, _v, [name]) {
    const ns = await ctx.api.call(routes.get, apiPaths.namespace(namespaceArg(name!)));
    ctx.print(ns, () => fields(summaryFields(ns)));
  },
};

const add: Command = {
  name: 'add',
  summary: 'create a namespace',
  args: '<namespace>',
  positionals: 1,
  options: {
    region: {
      type: 'string',
      value: 'REGION',
      description: 'its region (default: the default region)',
    },
    quota: { type: 'string', value: 'SIZE', description: 'storage quota, e.g. 10GiB' },
    public: { type: 'boolean', description: 'anyone may pull from it' },
  },
  async run(ctx, v, [name]) {
    const namespace = namespaceArg(name!);
    const quota = str(v, 'quota');
    const body = {
      name: namespace,
      region: await regionOf(ctx, str(v, 'region')),
      ...(quota !== undefined ? { quotaBytes: quotaOf(quota) } : {}),
      ...(bool(v, 'public') ? { public: true } : {}),
    };
    const ns = await ctx.api.call(routes.create, apiPaths.namespaces(), { body });
    ctx.print(ns, () => `created namespace ${ns.name} in region ${ns.region}\n`);
  },
};

const set: Command = {
  name: 'set',
  summary: 'change the quota or whether the namespace is public',
  args: '<namespace>',
  positionals: 1,
  options: {
    quota: { type: 'string', value: 'SIZE', description: 'storage quota, e.g. 10GiB' },
    'no-quota': { type: 'boolean', description: 'remove the quota' },
    public: { type: 'boolean', description: 'anyone may pull' },
    private: { type: 'boolean', description: 'only members may pull' },
  },
  async run(ctx, v, [name]) {
    const namespace = namespaceArg(name!);
    const quota = str(v, 'quota');
    if (quota !== undefined && bool(v, 'no-quota'))
      throw usageError('--quota or --no-quota, not both');
    if (bool(v, 'public') && bool(v, 'private'))
      throw usageError('--public or --private, not both');
    const body = {
      ...(quota !== undefined ? { quotaBytes: quotaOf(quota) } : {}),
      ...(bool(v, 'no-quota') ? { quotaBytes: null } : {}),
      ...(bool(v, 'public') ? { public: true } : {}),
      ...(bool(v, 'private') ? { public: false } : {}),
    };
    if (Object.keys(body).length === 0) {
      throw usageError('nothing to change: give --quota, --no-quota, --public or --private');
    }
    const ns = await ctx.api.call(routes.update, apiPaths.namespace(namespace), { body });
    ctx.print(ns, () => fields(summaryFields(ns)));
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'delete a namespace with everything in it (irreversible)',
  args: '<namespace>',
  positionals: 1,
  details:
    'Shows what will be removed, then asks you to type the namespace name. Without a terminal,\n' +
    '--force is required (exit 2 otherwise); --force skips the question.',
  options: { force: { type: 'boolean', short: 'f', description: 'do not ask' } },
  async run(ctx, v, [name]) {
    const namespace = namespaceArg(name!);
    const p = await ctx.api.call(routes.preview, apiPaths.namespaceDeletionPreview(namespace));
    ctx.term.err(
      `Deleting namespace ${p.namespace} removes, immediately and for good:\n` +
        `  ${p.repositories} repositories, ${p.images} images (${formatSize(p.sizeBytes)})\n` +
        `  ${p.trashItems} images in its trash (${formatSize(p.trashSizeBytes)}), and their signatures\n`,
    );
    await confirmTyped(
      ctx.term,
      bool(v, 'force'),
      namespace,
      `Type the namespace name (${namespace}) to delete it: `,
    );
    const done = await ctx.api.call(routes.remove, apiPaths.namespace(namespace));
    ctx.print(
      done,
      () =>
        `deleted namespace ${done.namespace}: ${done.repositories} repositories, ${done.images} images, ${done.trashItems} trash items\n`,
    );
  },
};

export const namespacesGroup: Group = {
  name: 'namespaces',
  summary: 'list, create, change and delete namespaces',
  commands: [list, get, add, set, rm],
};
