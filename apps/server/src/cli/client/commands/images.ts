import {
  apiPaths,
  type ImageDetails,
  imageDetails,
  imageList,
  imagesTrashed,
  untagged,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { fields, formatSize, formatTime, list as joined, shortDigest, table } from '../output.js';
import { imageArg, type ImageRef, repositoryArg } from '../references.js';

const REPO = '/api/v1/namespaces/{namespace}/repositories/{repository}';
const routes = {
  list: route('get', `${REPO}/images`, imageList),
  remove: route('delete', `${REPO}/images/{digest}`, imagesTrashed),
  untag: route('delete', `${REPO}/tags/{tag}`, untagged),
  details: route('get', `${REPO}/images/{digest}`, imageDetails),
  manifest: route('get', `${REPO}/images/{digest}/manifest`, null),
};

/** The digest an image reference names: as given, or the live image holding the tag now. */
export async function digestOf(ctx: Context, ref: ImageRef): Promise<string> {
  if (ref.digest !== undefined) return ref.digest;
  let cursor: string | undefined;
  for (;;) {
    // q matches tag prefixes: only images with a tag starting with this one are read.
    const page = await ctx.api.call(routes.list, apiPaths.images(ref.namespace, ref.repository), {
      query: { q: ref.tag, cursor, limit: 200 },
    });
    const found = page.items.find((i) => i.tags.includes(ref.tag));
    if (found) return found.digest;
    if (!page.nextCursor) {
      throw new CliError(
        EXIT.notFound,
        `${ref.namespace}/${ref.repository}:${ref.tag}: no image holds this tag`,
      );
    }
    cursor = page.nextCursor;
  }
}

const list: Command = {
  name: 'list',
  summary: 'images of a repository, newest push first',
  args: '<namespace>/<repository>',
  positionals: 1,
  options: {
    search: { type: 'string', value: 'TEXT', description: 'tags or digests starting with TEXT' },
    tagged: { type: 'boolean', description: 'only tagged images' },
    untagged: { type: 'boolean', description: 'only untagged images' },
    ...pagingOptions,
  },
  async run(ctx, v, [ref]) {
    const { namespace, repository } = repositoryArg(ref!);
    if (bool(v, 'tagged') && bool(v, 'untagged'))
      throw usageError('--tagged or --untagged, not both');
    const tagged = bool(v, 'tagged') ? 'true' : bool(v, 'untagged') ? 'false' : undefined;
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.images(namespace, repository), {
          query: { q: str(v, 'search'), tagged, cursor, limit },
        }),
      (items) =>
        table(
          ['DIGEST', 'TAGS', 'SIZE', 'CREATED', 'PUSHED'],
          items.map((i) => [
            shortDigest(i.digest),
            joined(i.tags),
            formatSize(i.sizeBytes),
            formatTime(i.createdAt),
            formatTime(i.pushedAt),
          ]),
        ),
      `no images in ${namespace}/${repository}`,
    );
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'move an image (with all its tags) to the trash',
  args: '<namespace>/<repository>@<digest> | <namespace>/<repository>:<tag>',
  positionals: 1,
  details: 'A tag names the image that holds it now. The image stays restorable for 30 days.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    const done = await ctx.api.call(
      routes.remove,
      apiPaths.image(ref.namespace, ref.repository, digest),
    );
    ctx.print(done, () =>
      done.trashed
        .map(
          (t) =>
            `moved to the trash: ${ref.namespace}/${t.repository}@${t.digest} (tags: ${joined(t.tags)}, ${formatSize(t.sizeBytes)})\n`,
        )
        .join(''),
    );
  },
};

const untag: Command = {
  name: 'untag',
  summary: 'remove one tag; the image stays',
  args: '<namespace>/<repository>:<tag>',
  positionals: 1,
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!, 'tag');
    const done = await ctx.api.call(
      routes.untag,
      apiPaths.tag(ref.namespace, ref.repository, ref.tag!),
    );
    ctx.print(
      done,
      () => `removed tag ${done.tag} from ${ref.namespace}/${done.repository}@${done.digest}\n`,
    );
  },
};

const platformName = (p: {
  os: string | null;
  architecture: string | null;
  variant: string | null;
}) => [p.os, p.architecture, p.variant].filter(Boolean).join('/') || '-';

function detailsText(d: ImageDetails): string {
  const c = d.config;
  const head = fields([
    ['image', `${d.namespace}/${d.repository}@${d.digest}`],
    ['kind', d.artifactType ? `${d.kind} (${d.artifactType})` : d.kind],
    ['tags', joined(d.tags.map((t) => t.name))],
    ['pull', d.pullReference],
    ['size', formatSize(d.sizeBytes)],
    ['created', formatTime(d.createdAt)],
    ['pushed', formatTime(d.pushedAt)],
    ...d.parents.map((p): [string, string] => [
      p.relation === 'platform-of' ? 'platform of' : 'refers to',
      `${p.digest}${p.tags.length ? ` (${p.tags.join(',')})` : ''}`,
    ]),
    ...(c
      ? ([
          ['platform', platformName(c)],
          ['entrypoint', c.entrypoint?.join(' ') ?? '-'],
          ['cmd', c.cmd?.join(' ') ?? '-'],
          ['user', c.user ?? '-'],
        ] as [string, string][])
      : []),
    ...(d.configError ? [['config', d.configError.message] as [string, string]] : []),
    [
      'used by',
      joined(
        d.usedBy.map(
          (u) => `${u.project}/${u.name} (${u.kind}${u.projectDeleted ? ', project deleted' : ''})`,
        ),
      ),
    ],
  ]);
  const platforms =
    d.platforms.length === 0
      ? ''
      : `\n${table(
          ['PLATFORM', 'DIGEST', 'SIZE'],
          d.platforms.map((p) => [platformName(p), shortDigest(p.digest), formatSize(p.sizeBytes)]),
        )}`;
  const layers =
    d.layers.length === 0
      ? ''
      : `\n${table(
          ['LAYER', 'SIZE', 'MEDIA TYPE'],
          d.layers.map((l) => [shortDigest(l.digest), formatSize(l.sizeBytes), l.mediaType]),
        )}`;
  const referrers =
    d.referrers.length === 0
      ? ''
      : `\n${table(
          ['REFERRER', 'TYPE', 'PUSHED'],
          d.referrers.map((r) => [
            shortDigest(r.digest),
            r.artifactType ?? '-',
            formatTime(r.pushedAt),
          ]),
        )}`;
  return head + platforms + layers + referrers;
}

const get: Command = {
  name: 'get',
  summary: 'one image: tags, platforms, config, layers, signatures, projects that use it',
  args: '<namespace>/<repository>@<digest> | <namespace>/<repository>:<tag>',
  positionals: 1,
  details:
    'A tag names the image that holds it now. -o json adds the history and the audit timeline.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    const d = await ctx.api.call(
      routes.details,
      apiPaths.image(ref.namespace, ref.repository, digest),
    );
    ctx.print(d, () => detailsText(d));
  },
};

const manifest: Command = {
  name: 'manifest',
  summary: 'the manifest exactly as pushed (its bytes, on stdout)',
  args: '<namespace>/<repository>@<digest> | <namespace>/<repository>:<tag>',
  positionals: 1,
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    // As pushed, whatever --output says: its digest is over these bytes.
    ctx.term.out(
      await ctx.api.text(
        routes.manifest,
        apiPaths.imageManifest(ref.namespace, ref.repository, digest),
      ),
    );
  },
};

export const imagesGroup: Group = {
  name: 'images',
  summary: 'list and inspect images, move them to the trash, remove tags',
  commands: [list, get, manifest, rm, untag],
};
