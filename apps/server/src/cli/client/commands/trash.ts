import fs from 'node:fs';
import {
  apiPaths,
  restoreBody,
  restoreManyBody,
  type RestoreManyResult,
  restoreManyResult,
  restoreRepositoryBody,
  restoreResult,
  trashList,
} from '@berth/contract';
import { route } from '../api.js';
import { type Command, type Context, type Group, pagingOptions, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { formatSize, formatTime, list as joined, shortDigest, table } from '../output.js';
import { imageArg, type ImageRef, namespaceArg, repositoryArg } from '../references.js';
import { oneNamespace } from './images.js';

const NS = '/api/v1/namespaces/{namespace}';
const routes = {
  list: route('get', `${NS}/trash`, trashList),
  restore: route('post', `${NS}/trash/restore`, restoreResult, restoreBody),
  restoreRepository: route(
    'post',
    `${NS}/trash/restore-repository`,
    restoreManyResult,
    restoreRepositoryBody,
  ),
  restoreMany: route('post', `${NS}/trash/restore-many`, restoreManyResult, restoreManyBody),
};

const skippedLines = (skipped: { tag: string; reason: string; heldBy: string }[]) =>
  skipped.map((s) => `tag ${s.tag} not restored: ${s.reason} (held by ${s.heldBy})\n`).join('');

const list: Command = {
  name: 'list',
  summary: "a namespace's trash, most recently deleted first",
  args: '<namespace>',
  positionals: 1,
  options: {
    repository: { type: 'string', value: 'REPO', description: 'only this repository' },
    search: { type: 'string', value: 'TEXT', description: 'tags or digests starting with TEXT' },
    run: { type: 'string', value: 'RUN-ID', description: 'only what this retention run deleted' },
    ...pagingOptions,
  },
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.trash(namespace), {
          query: {
            repository: str(v, 'repository'),
            q: str(v, 'search'),
            retentionRun: str(v, 'run'),
            cursor,
            limit,
          },
        }),
      (items) =>
        table(
          ['REPOSITORY', 'DIGEST', 'TAGS', 'SIZE', 'DELETED', 'DAYS LEFT', 'REASON', 'BY'],
          items.map((t) => [
            t.repository,
            shortDigest(t.digest),
            joined(t.tags),
            formatSize(t.sizeBytes),
            formatTime(t.deletedAt),
            String(t.daysLeft),
            t.reason,
            t.actor,
          ]),
        ),
      `the trash of ${namespace} is empty`,
    );
  },
};

/** `--from-file F` (`-` for stdin): one reference a line; blank lines are skipped. */
async function referencesFrom(ctx: Context, file: string): Promise<string[]> {
  let text: string;
  if (file === '-') {
    text = await ctx.term.readStdin();
  } else {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw usageError(`--from-file: cannot read "${file}" (${reason})`);
    }
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) {
    throw usageError(`--from-file: ${file === '-' ? 'stdin' : `"${file}"`} holds no references`);
  }
  return lines;
}

/** Each restored image, and under it every tag it could not get back and why. */
function restoredManyText(namespace: string, done: RestoreManyResult): string {
  const skippedOf = (repository: string, digest: string) =>
    done.skippedTags.filter((s) => s.repository === repository && s.digest === digest);
  return (
    done.images
      .map(
        (i) =>
          `restored ${namespace}/${i.repository}@${i.digest} (tags: ${joined(i.tags)})\n` +
          skippedLines(skippedOf(i.repository, i.digest)),
      )
      .join('') +
    (done.skippedTagCount > done.skippedTags.length
      ? `(${done.skippedTagCount - done.skippedTags.length} more tags not restored)\n`
      : '')
  );
}

/**
 * Several images go through restore-many: one transaction, all of them or none. It restores
 * by digest only; a tag's restore means something else (only that tag, refused when another
 * image holds it), so tags are refused here rather than quietly turned into digests.
 */
async function restoreMany(ctx: Context, refs: ImageRef[]): Promise<void> {
  const namespace = oneNamespace(refs);
  const items = refs.map((r) => {
    if (r.digest === undefined) {
      throw usageError(
        `${r.namespace}/${r.repository}:${r.tag}: several images are restored by digest ` +
          `(<namespace>/<repository>@<digest>); restore a tag on its own`,
      );
    }
    return { repository: r.repository, digest: r.digest };
  });
  const done = await ctx.api.call(routes.restoreMany, apiPaths.trashRestoreMany(namespace), {
    body: { items },
  });
  ctx.print(done, () => restoredManyText(namespace, done));
}

const restore: Command = {
  name: 'restore',
  summary: 'restore images by digest (with their tags), or one by tag',
  args: '[<image>...] [--from-file FILE]',
  positionals: [0, Number.MAX_SAFE_INTEGER],
  options: {
    'from-file': {
      type: 'string',
      value: 'FILE',
      description: 'references to restore, one a line ("-": stdin)',
    },
  },
  details:
    'An <image> is <namespace>/<repository>@<digest> or <namespace>/<repository>:<tag>. By digest,\n' +
    'the image gets back every remembered tag no other image holds now; by tag, the image that\n' +
    'last held the tag comes back with it. Tags that could not be restored are listed, with why.\n' +
    'Several images (given, or read with --from-file; up to 1000, one namespace, by digest) are\n' +
    'restored together, all or none; -o json then prints the restore-many result.\n' +
    '  berth trash list NS -o json | jq -r \'.[] | "NS/\\(.repository)@\\(.digest)"\' |\n' +
    '    berth trash restore --from-file -',
  async run(ctx, v, args) {
    const file = str(v, 'from-file');
    const given = [...args, ...(file === undefined ? [] : await referencesFrom(ctx, file))];
    if (given.length === 0) {
      throw usageError('missing argument: give an <image>, or --from-file FILE');
    }
    // Every reference is checked before the first request: a typo in the last one changes nothing.
    const refs = given.map((a) => imageArg(a));
    // A list (--from-file) always answers in restore-many's shape, however long it is.
    if (refs.length > 1 || file !== undefined) return restoreMany(ctx, refs);
    const ref = refs[0]!;
    const body =
      ref.digest !== undefined
        ? { repository: ref.repository, digest: ref.digest }
        : { repository: ref.repository, tag: ref.tag };
    const done = await ctx.api.call(routes.restore, apiPaths.trashRestore(ref.namespace), { body });
    ctx.print(
      done,
      () =>
        `restored ${ref.namespace}/${done.restored.repository}@${done.restored.digest} (tags: ${joined(done.restored.tags)})\n` +
        skippedLines(done.skippedTags),
    );
  },
};

const restoreRepo: Command = {
  name: 'restore-repo',
  summary: 'restore everything of a repository that is still in the trash',
  args: '<namespace>/<repository>',
  positionals: 1,
  async run(ctx, _v, [arg]) {
    const { namespace, repository } = repositoryArg(arg!);
    const done = await ctx.api.call(
      routes.restoreRepository,
      apiPaths.trashRestoreRepository(namespace),
      {
        body: { repository },
      },
    );
    ctx.print(
      done,
      () =>
        `restored ${done.restored} images of ${namespace}/${repository}\n` +
        done.skippedTags
          .map(
            (s) =>
              `${shortDigest(s.digest)}: tag ${s.tag} not restored: ${s.reason} (held by ${s.heldBy})\n`,
          )
          .join('') +
        (done.skippedTagCount > done.skippedTags.length
          ? `(${done.skippedTagCount - done.skippedTags.length} more tags not restored)\n`
          : ''),
    );
  },
};

export const trashGroup: Group = {
  name: 'trash',
  summary: 'list the trash, restore images and repositories',
  commands: [list, restore, restoreRepo],
};
