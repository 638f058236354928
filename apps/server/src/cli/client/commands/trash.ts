import {
  apiPaths,
  restoreBody,
  restoreManyResult,
  restoreRepositoryBody,
  restoreResult,
  trashList,
} from '@berth/contract';
import { route } from '../api.js';
import { type Command, type Group, pagingOptions, str } from '../command.js';
import { printPaged } from '../listing.js';
import { formatSize, formatTime, list as joined, shortDigest, table } from '../output.js';
import { imageArg, namespaceArg, repositoryArg } from '../references.js';

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

const restore: Command = {
  name: 'restore',
  summary: 'restore an image by digest (with its tags) or by tag',
  args: '<namespace>/<repository>@<digest> | <namespace>/<repository>:<tag>',
  positionals: 1,
  details:
    'By digest, the image gets back every remembered tag no other image holds now; by tag, the\n' +
    'image that last held the tag comes back with it. Tags that could not be restored are listed.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
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
