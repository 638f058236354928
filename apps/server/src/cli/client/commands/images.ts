import {
  apiPaths,
  deleteImagesBody,
  type ImageDetails,
  imageDetails,
  imageList,
  type ImagesTrashed,
  imagesTrashed,
  untagged,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { fields, formatSize, formatTime, list as joined, shortDigest, table } from '../output.js';
import { imageArg, type ImageRef, type RepositoryRef, repositoryArg } from '../references.js';

/**
 * The namespace that every reference of a bulk command names. The bulk routes work inside
 * one namespace (one transaction, one permission check), so several are refused before
 * anything is sent rather than split into requests that could half succeed.
 */
export function oneNamespace(refs: readonly RepositoryRef[]): string {
  const names = [...new Set(refs.map((r) => r.namespace))];
  if (names.length > 1) {
    throw usageError(
      `all references must be in one namespace (got ${names.join(', ')}): run one command per namespace`,
    );
  }
  return names[0]!;
}

const REPO = '/api/v1/namespaces/{namespace}/repositories/{repository}';
const routes = {
  list: route('get', `${REPO}/images`, imageList),
  remove: route('delete', `${REPO}/images/{digest}`, imagesTrashed),
  removeMany: route(
    'post',
    '/api/v1/namespaces/{namespace}/images/delete',
    imagesTrashed,
    deleteImagesBody,
  ),
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

const trashedLines = (namespace: string, done: ImagesTrashed) =>
  done.trashed
    .map(
      (t) =>
        `moved to the trash: ${namespace}/${t.repository}@${t.digest} (tags: ${joined(t.tags)}, ${formatSize(t.sizeBytes)})\n`,
    )
    .join('');

const rm: Command = {
  name: 'rm',
  summary: 'move images (with all their tags) to the trash',
  args: '<image>...',
  positionals: [1, Number.MAX_SAFE_INTEGER],
  details:
    'An <image> is <namespace>/<repository>@<digest> or <namespace>/<repository>:<tag>; a tag\n' +
    'names the image that holds it now. Several images (up to 1000, all in one namespace, any\n' +
    'repositories) go to the trash in one request: all of them or, when one is unknown, none.\n' +
    'They stay restorable for 30 days.',
  async run(ctx, _v, args) {
    // Every reference is checked before the first request: a typo in the last one changes nothing.
    const refs = args.map((a) => imageArg(a));
    const namespace = oneNamespace(refs);
    if (refs.length === 1) {
      const ref = refs[0]!;
      const digest = await digestOf(ctx, ref);
      const done = await ctx.api.call(
        routes.remove,
        apiPaths.image(ref.namespace, ref.repository, digest),
      );
      ctx.print(done, () => trashedLines(namespace, done));
      return;
    }
    const images: { repository: string; digest: string }[] = [];
    for (const ref of refs) {
      const image = { repository: ref.repository, digest: await digestOf(ctx, ref) };
      // A tag and the digest it resolves to name one image: it is sent once.
      if (!images.some((i) => i.repository === image.repository && i.digest === image.digest)) {
        images.push(image);
      }
    }
    const done = await ctx.api.call(routes.removeMany, apiPaths.imagesDelete(namespace), {
      body: { images },
    });
    ctx.print(done, () => trashedLines(namespace, done));
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
