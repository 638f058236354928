import {
  apiPaths,
  retentionConfirmBody,
  retentionPolicy,
  retentionPolicyBody,
  type RetentionPolicy,
  retentionPreview,
  retentionPreviewBody,
  type RetentionPreview,
  retentionPreviewRepositories,
  type RetentionPreviewRepository,
  type RetentionRules,
  retentionRunList,
  retentionRunRestored,
  retentionRunResult,
} from '@berth/contract';
import { route } from '../api.js';
import {
  bool,
  type Command,
  type Context,
  type Group,
  type OptionSpec,
  pagingOptions,
  str,
  strs,
  type Values,
} from '../command.js';
import { usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { fields, formatSize, formatTime, list as joined, table } from '../output.js';
import { intArg, namespaceArg } from '../references.js';
import { confirmTyped } from '../terminal.js';

const NS = '/api/v1/namespaces/{namespace}';
const routes = {
  policy: route('get', `${NS}/retention-policy`, retentionPolicy),
  setPolicy: route('put', `${NS}/retention-policy`, retentionPolicy, retentionPolicyBody),
  preview: route('post', `${NS}/retention/previews`, retentionPreview, retentionPreviewBody),
  previewRepositories: route(
    'get',
    `${NS}/retention/previews/{previewId}/repositories`,
    retentionPreviewRepositories,
  ),
  confirm: route('post', `${NS}/retention/runs`, retentionRunResult, retentionConfirmBody),
  runs: route('get', `${NS}/retention/runs`, retentionRunList),
  restoreRun: route('post', `${NS}/retention/runs/{runId}/restore`, retentionRunRestored),
};

const ruleOptions: Record<string, OptionSpec> = {
  keep: {
    type: 'string',
    value: 'N',
    description: 'keep the N most recent images of each repository',
  },
  'retain-untagged': {
    type: 'boolean',
    description: 'never delete untagged images, nor count them',
  },
  'no-retain-untagged': { type: 'boolean', description: 'untagged images count and may go' },
  'exclude-tag': {
    type: 'string',
    multiple: true,
    value: 'PATTERN',
    description: 'keep images with a tag matching PATTERN',
  },
  'exclude-repo': {
    type: 'string',
    multiple: true,
    value: 'PATTERN',
    description: 'leave repositories matching PATTERN alone',
  },
  'protect-unscanned-days': {
    type: 'string',
    value: 'N|off',
    description: 'keep images without a scan newer than N days',
  },
};

const ruleFlags = Object.keys(ruleOptions);

/** The rules the flags give, on top of `base` (the saved policy): only what was given changes. */
function rulesFrom(v: Values, base: RetentionRules): RetentionRules {
  if (bool(v, 'retain-untagged') && bool(v, 'no-retain-untagged')) {
    throw usageError('--retain-untagged or --no-retain-untagged, not both');
  }
  const protect = str(v, 'protect-unscanned-days');
  return {
    keepCount: intArg('--keep', str(v, 'keep'), 0) ?? base.keepCount,
    retainUntagged: bool(v, 'retain-untagged')
      ? true
      : bool(v, 'no-retain-untagged')
        ? false
        : base.retainUntagged,
    excludeTags: v['exclude-tag'] ? strs(v, 'exclude-tag') : base.excludeTags,
    excludeRepositories: v['exclude-repo'] ? strs(v, 'exclude-repo') : base.excludeRepositories,
    protectUnscannedDays:
      protect === undefined
        ? base.protectUnscannedDays
        : protect === 'off'
          ? null
          : intArg('--protect-unscanned-days', protect, 1)!,
  };
}

const rulesGiven = (v: Values) => ruleFlags.some((f) => v[f] !== undefined && v[f] !== false);

const rulesText = (r: RetentionRules) =>
  `keep ${r.keepCount}${r.retainUntagged ? ', retain untagged' : ''}` +
  (r.excludeTags.length ? `, exclude tags ${r.excludeTags.join(',')}` : '') +
  (r.excludeRepositories.length
    ? `, exclude repositories ${r.excludeRepositories.join(',')}`
    : '') +
  (r.protectUnscannedDays !== null ? `, protect unscanned ${r.protectUnscannedDays} days` : '');

const policyFields = (p: RetentionPolicy) =>
  fields([
    ['namespace', p.namespace],
    ['saved', p.saved ? 'yes' : 'no (defaults)'],
    ['enabled', p.enabled ? `yes, daily at ${p.dailyAt} UTC` : 'no'],
    ['keep', String(p.keepCount)],
    ['retain untagged', p.retainUntagged ? 'yes' : 'no'],
    ['exclude tags', joined(p.excludeTags)],
    ['exclude repositories', joined(p.excludeRepositories)],
    [
      'protect unscanned',
      p.protectUnscannedDays === null ? 'off' : `${p.protectUnscannedDays} days`,
    ],
    ['next run', formatTime(p.nextRunAt)],
    ['updated', p.updatedAt ? `${formatTime(p.updatedAt)} by ${p.updatedBy ?? '?'}` : '-'],
  ]);

const policyGet: Command = {
  name: 'policy get',
  summary: "a namespace's scheduled retention policy",
  args: '<namespace>',
  positionals: 1,
  async run(ctx, _v, [ns]) {
    const p = await ctx.api.call(routes.policy, apiPaths.retentionPolicy(namespaceArg(ns!)));
    ctx.print(p, () => policyFields(p));
  },
};

const policySet: Command = {
  name: 'policy set',
  summary: 'change the scheduled retention policy (what is not given stays)',
  args: '<namespace>',
  positionals: 1,
  options: {
    ...ruleOptions,
    enable: { type: 'boolean', description: 'run it daily' },
    disable: { type: 'boolean', description: 'stop running it' },
    'daily-at': { type: 'string', value: 'HH:MM', description: 'when it runs, UTC' },
  },
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    if (bool(v, 'enable') && bool(v, 'disable'))
      throw usageError('--enable or --disable, not both');
    const current = await ctx.api.call(routes.policy, apiPaths.retentionPolicy(namespace));
    const body = {
      ...rulesFrom(v, current),
      enabled: bool(v, 'enable') ? true : bool(v, 'disable') ? false : current.enabled,
      dailyAt: str(v, 'daily-at') ?? current.dailyAt,
    };
    const p = await ctx.api.call(routes.setPolicy, apiPaths.retentionPolicy(namespace), { body });
    ctx.print(p, () => policyFields(p));
  },
};

async function allPreviewRepositories(ctx: Context, namespace: string, id: string) {
  const items: RetentionPreviewRepository[] = [];
  for (;;) {
    const page = await ctx.api.call(
      routes.previewRepositories,
      apiPaths.retentionPreviewRepositories(namespace, id),
      {
        query: { offset: items.length, limit: 200 },
      },
    );
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

function previewText(p: RetentionPreview, repos: RetentionPreviewRepository[]): string {
  const t = p.totals;
  return (
    table(
      ['REPOSITORY', 'IMAGES', 'KEEP', 'PROTECTED', 'DELETE', 'DELETE SIZE'],
      repos.map((r) => [
        r.name,
        String(r.images),
        String(r.keep),
        String(r.protected),
        String(r.delete),
        formatSize(r.deleteBytes),
      ]),
    ) +
    `\n${rulesText(p.rules)}: ${t.delete} of ${t.images} images would be deleted in ${t.repositoriesWithDeletes} of ${t.repositories} repositories ` +
    `(${formatSize(t.deleteBytes)}; ${formatSize(t.reclaimBytes)} reclaimed once they leave the trash), ${t.protected} protected\n` +
    `preview ${p.id}, valid until ${formatTime(p.expiresAt)}\n`
  );
}

/** Creates a preview: from the flags on top of the saved policy, or the saved policy itself. */
async function makePreview(ctx: Context, namespace: string, v: Values) {
  let rules: RetentionRules | undefined;
  if (rulesGiven(v)) {
    rules = rulesFrom(v, await ctx.api.call(routes.policy, apiPaths.retentionPolicy(namespace)));
  }
  const preview = await ctx.api.call(routes.preview, apiPaths.retentionPreviews(namespace), {
    body: rules ? { rules } : {},
  });
  return { preview, repositories: await allPreviewRepositories(ctx, namespace, preview.id) };
}

const preview: Command = {
  name: 'preview',
  summary: 'what a retention run would keep and delete, per repository (changes nothing)',
  args: '<namespace>',
  positionals: 1,
  details:
    'Without rule options, the saved policy is previewed. Rule options change only what they name.',
  options: ruleOptions,
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    const made = await makePreview(ctx, namespace, v);
    ctx.print(
      made,
      () =>
        previewText(made.preview, made.repositories) +
        `run it: berth retention run ${namespace} --preview ${made.preview.id}\n`,
    );
  },
};

const run: Command = {
  name: 'run',
  summary: 'delete what a preview showed (to the trash)',
  args: '<namespace>',
  positionals: 1,
  details:
    'With --preview ID, confirms that preview: only its images that are still eligible go.\n' +
    'Without it, makes a preview from the rule options, shows it and asks you to type the\n' +
    'namespace name; --force skips the question (required without a terminal).',
  options: {
    preview: { type: 'string', value: 'ID', description: 'the preview to confirm' },
    force: { type: 'boolean', short: 'f', description: 'preview and confirm without asking' },
    ...ruleOptions,
  },
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    let previewId = str(v, 'preview');
    if (previewId !== undefined && rulesGiven(v)) {
      throw usageError('--preview confirms a preview as it is: give no rule options with it');
    }
    if (previewId === undefined) {
      const made = await makePreview(ctx, namespace, v);
      ctx.term.err(previewText(made.preview, made.repositories));
      if (made.preview.totals.delete === 0) {
        ctx.term.err('nothing to delete\n');
      }
      await confirmTyped(
        ctx.term,
        bool(v, 'force'),
        namespace,
        `Type the namespace name (${namespace}) to delete these images: `,
      );
      previewId = made.preview.id;
    }
    const result = await ctx.api.call(routes.confirm, apiPaths.retentionRuns(namespace), {
      body: { previewId },
    });
    const r = result.run;
    ctx.print(
      result,
      () =>
        `retention run ${r.id}: moved ${r.deletedImages} images (${formatSize(r.deletedBytes)}) to the trash, skipped ${r.skippedImages}\n` +
        result.skipped.map((s) => `skipped ${s.repository}@${s.digest}: ${s.reason}\n`).join('') +
        (r.deletedImages > 0 ? `undo: berth retention restore-run ${namespace} ${r.id}\n` : ''),
    );
  },
};

const runs: Command = {
  name: 'runs',
  summary: "a namespace's retention runs, newest first",
  args: '<namespace>',
  positionals: 1,
  options: pagingOptions,
  async run(ctx, v, [ns]) {
    const namespace = namespaceArg(ns!);
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.runs, apiPaths.retentionRuns(namespace), { query: { cursor, limit } }),
      (items) =>
        table(
          ['RUN', 'TRIGGER', 'STATUS', 'STARTED', 'DELETED', 'SIZE', 'SKIPPED', 'IN TRASH', 'BY'],
          items.map((r) => [
            r.id,
            r.trigger,
            r.status,
            formatTime(r.startedAt),
            String(r.deletedImages),
            formatSize(r.deletedBytes),
            String(r.skippedImages),
            String(r.inTrash),
            r.actor,
          ]),
        ),
      `no retention runs in ${namespace}`,
    );
  },
};

const restoreRun: Command = {
  name: 'restore-run',
  summary: 'restore every image a run deleted that is still in the trash',
  args: '<namespace> <run-id>',
  positionals: 2,
  async run(ctx, _v, [ns, runId]) {
    const namespace = namespaceArg(ns!);
    if (!/^\d{1,15}$/.test(runId!))
      throw usageError(`"${runId}" is not a run id (see berth retention runs)`);
    const done = await ctx.api.call(
      routes.restoreRun,
      apiPaths.retentionRunRestore(namespace, runId!),
    );
    ctx.print(
      done,
      () =>
        `restored ${done.restored} images of run ${done.runId} (${done.notInTrash} had already left the trash)\n` +
        done.skippedTags
          .map(
            (s) =>
              `${s.repository}@${s.digest}: tag ${s.tag} not restored: ${s.reason} (held by ${s.heldBy})\n`,
          )
          .join(''),
    );
  },
};

export const retentionGroup: Group = {
  name: 'retention',
  summary: 'retention policy, previews, runs and undoing a run',
  commands: [policyGet, policySet, preview, run, runs, restoreRun],
};
