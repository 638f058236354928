import {
  apiPaths,
  app,
  appBody,
  appList,
  appUpdateBody,
  type App,
  type ImagePointerStatus,
  job,
  jobBody,
  jobList,
  jobUpdateBody,
  type Job,
} from '@berth/contract';
import { route } from '../api.js';
import {
  bool,
  type Command,
  type Group,
  type OptionSpec,
  type Values,
  str,
  strs,
} from '../command.js';
import { usageError } from '../exit-codes.js';
import { fields, formatTime, table } from '../output.js';
import { intArg } from '../references.js';
import { confirmTyped } from '../terminal.js';
import { keyValue, mergeEntries, projectOf, projectScopeOptions } from './project-scope.js';

const PROJECT = '/api/v1/projects/{projectId}';
const routes = {
  apps: {
    list: route('get', `${PROJECT}/apps`, appList),
    create: route('post', `${PROJECT}/apps`, app, appBody),
    get: route('get', `${PROJECT}/apps/{name}`, app),
    replace: route('put', `${PROJECT}/apps/{name}`, app, appUpdateBody),
    remove: route('delete', `${PROJECT}/apps/{name}`, null),
  },
  jobs: {
    list: route('get', `${PROJECT}/jobs`, jobList),
    create: route('post', `${PROJECT}/jobs`, job, jobBody),
    get: route('get', `${PROJECT}/jobs/{name}`, job),
    replace: route('put', `${PROJECT}/jobs/{name}`, job, jobUpdateBody),
    remove: route('delete', `${PROJECT}/jobs/{name}`, null),
  },
};

type Workload = App | Job;

/** What the pointer leads to here: "present", "in the trash", "missing", or another registry. */
function pointerState(p: ImagePointerStatus): string {
  if (p.state === 'trashed') return 'in the trash';
  if (p.state === 'external') return 'elsewhere';
  return p.state;
}

const sizeOptions: Record<string, OptionSpec> = {
  image: {
    type: 'string',
    value: 'REF',
    description: 'the image: <registry>/<namespace>/<repository>[:tag|@digest]',
  },
  command: {
    type: 'string',
    multiple: true,
    value: 'ARG',
    description: 'one word of the command, in order',
  },
  env: {
    type: 'string',
    multiple: true,
    value: 'KEY=VALUE',
    description: 'an environment variable',
  },
  cpu: { type: 'string', value: 'N', description: 'CPUs, e.g. 0.5 (default 0.5)' },
  memory: { type: 'string', value: 'MIB', description: 'memory in MiB (default 1024)' },
};

function cpuOf(v: Values): number | undefined {
  const text = str(v, 'cpu');
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text))
    throw usageError(`--cpu takes a number such as 0.5 (got "${text}")`);
  return Number(text);
}

/** The fields a flag changes; what is not given is left out (create: defaults, set: kept). */
function givenFields(v: Values) {
  const env = strs(v, 'env').map((e) => keyValue('--env', e));
  return {
    image: str(v, 'image'),
    command: v.command === undefined ? undefined : strs(v, 'command'),
    env: env.length === 0 ? undefined : mergeEntries([env]),
    cpu: cpuOf(v),
    memoryMiB: intArg('--memory', str(v, 'memory'), 1),
  };
}

const dropUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as Partial<T>;

function detail(w: Workload): string {
  const kind = 'kind' in w ? [['kind', w.kind] as [string, string]] : [];
  return fields([
    ['name', w.name],
    ...kind,
    ['image', w.image.pointer],
    ['image state', pointerState(w.image)],
    ...(w.image.resolvedDigest
      ? [['resolves to', w.image.resolvedDigest] as [string, string]]
      : []),
    ['command', w.command.length === 0 ? '-' : w.command.join(' ')],
    [
      'env',
      Object.keys(w.env).length === 0
        ? '-'
        : Object.entries(w.env)
            .map(([k, val]) => `${k}=${val}`)
            .join(' '),
    ],
    ['cpu', String(w.cpu)],
    ['memory', `${w.memoryMiB} MiB`],
    ['created', formatTime(w.createdAt)],
    ['updated', formatTime(w.updatedAt)],
  ]);
}

/**
 * Apps and jobs are the same kind of thing (an image pointer with a command, environment and
 * size); jobs add a kind, job or template. One set of verbs serves both.
 */
function workloadGroup(kind: 'apps' | 'jobs'): Group {
  // A union of the apps' and the jobs' routes: the compiler cannot tie a body or an answer to
  // one of them, hence the casts below. Nothing is lost at run time: api.call checks each body
  // against its route's own schema before sending, and parses each answer with it.
  const r = routes[kind];
  const one = kind === 'apps' ? 'app' : 'job';
  const anOne = kind === 'apps' ? 'an app' : 'a job';
  const isJobs = kind === 'jobs';
  const kindOptions: Record<string, OptionSpec> = isJobs
    ? {
        template: { type: 'boolean', description: 'a job template (started by hand), not a job' },
      }
    : {};

  const list: Command = {
    name: 'list',
    summary: `${kind} of a project, with where their images stand`,
    positionals: 0,
    options: projectScopeOptions,
    async run(ctx, v) {
      const project = await projectOf(ctx, v);
      const { items } = (await ctx.api.call(
        r.list,
        apiPaths.projectChildren(project.id, kind),
      )) as {
        items: Workload[];
      };
      ctx.print(items, () =>
        items.length === 0
          ? `no ${kind} in project ${project.name}\n`
          : table(
              ['NAME', ...(isJobs ? ['KIND'] : []), 'IMAGE', 'STATE', 'CPU', 'MEMORY', 'UPDATED'],
              items.map((w) => [
                w.name,
                ...(isJobs ? [(w as Job).kind] : []),
                w.image.pointer,
                pointerState(w.image),
                String(w.cpu),
                `${w.memoryMiB} MiB`,
                formatTime(w.updatedAt),
              ]),
            ),
      );
    },
  };

  const get: Command = {
    name: 'get',
    summary: `one ${one}: image and whether it is here, command, environment, size`,
    args: '<name>',
    positionals: 1,
    options: projectScopeOptions,
    async run(ctx, v, [name]) {
      const project = await projectOf(ctx, v);
      const w = (await ctx.api.call(
        r.get,
        apiPaths.projectChild(project.id, kind, name!),
      )) as Workload;
      ctx.print(w, () => detail(w));
    },
  };

  const create: Command = {
    name: 'create',
    summary: `create ${one === 'app' ? 'an app' : 'a job or job template'} that points at an image`,
    args: '<name>',
    positionals: 1,
    options: { ...projectScopeOptions, ...sizeOptions, ...kindOptions },
    async run(ctx, v, [name]) {
      const given = givenFields(v);
      if (given.image === undefined) throw usageError('--image REF is required');
      const project = await projectOf(ctx, v);
      const body = {
        name: name!,
        ...dropUndefined(given),
        image: given.image,
        ...(isJobs ? { kind: bool(v, 'template') ? ('template' as const) : ('job' as const) } : {}),
      };
      const w = (await ctx.api.call(
        r.create as typeof routes.jobs.create,
        apiPaths.projectChildren(project.id, kind),
        { body: body as never },
      )) as Workload;
      ctx.print(w, () => `created ${one} ${w.name} in project ${project.name}\n${detail(w)}`);
    },
  };

  const set: Command = {
    name: 'set',
    summary: `change ${anOne}: what is given is replaced, the rest is kept`,
    args: '<name>',
    positionals: 1,
    details:
      '--env adds or changes variables (--unset-env removes one); --command replaces the whole\n' +
      'command (--no-command clears it).',
    options: {
      ...projectScopeOptions,
      ...sizeOptions,
      'unset-env': {
        type: 'string',
        multiple: true,
        value: 'KEY',
        description: 'remove a variable',
      },
      'no-command': { type: 'boolean', description: 'no command: the image’s own' },
      ...(isJobs
        ? {
            ...kindOptions,
            job: { type: 'boolean' as const, description: 'make a template an ordinary job' },
          }
        : {}),
    },
    async run(ctx, v, [name]) {
      const given = givenFields(v);
      const unset = strs(v, 'unset-env');
      if (given.command !== undefined && bool(v, 'no-command')) {
        throw usageError('--command or --no-command, not both');
      }
      if (bool(v, 'template') && bool(v, 'job')) throw usageError('--template or --job, not both');
      const changes =
        Object.values(given).some((x) => x !== undefined) ||
        unset.length > 0 ||
        bool(v, 'no-command') ||
        bool(v, 'template') ||
        bool(v, 'job');
      if (!changes) throw usageError(`nothing to change: see berth ${kind} set --help`);
      const project = await projectOf(ctx, v);
      // The API replaces a workload whole (PUT): read it, change what was asked, send it back.
      const path = apiPaths.projectChild(project.id, kind, name!);
      const current = (await ctx.api.call(r.get, path)) as Workload;
      const env = { ...current.env, ...given.env };
      for (const key of unset) delete env[key];
      const body = {
        image: given.image ?? current.image.pointer,
        command: bool(v, 'no-command') ? [] : (given.command ?? current.command),
        env,
        cpu: given.cpu ?? current.cpu,
        memoryMiB: given.memoryMiB ?? current.memoryMiB,
        ...(isJobs
          ? {
              kind: bool(v, 'template')
                ? ('template' as const)
                : bool(v, 'job')
                  ? ('job' as const)
                  : (current as Job).kind,
            }
          : {}),
      };
      const w = (await ctx.api.call(r.replace as typeof routes.jobs.replace, path, {
        body: body as never,
      })) as Workload;
      ctx.print(w, () => detail(w));
    },
  };

  const rm: Command = {
    name: 'rm',
    summary: `delete ${anOne}`,
    args: '<name>',
    positionals: 1,
    details:
      'Asks you to type yes on a terminal; --force skips the question (required without one).',
    options: {
      ...projectScopeOptions,
      force: { type: 'boolean', short: 'f', description: 'do not ask' },
    },
    async run(ctx, v, [name]) {
      const project = await projectOf(ctx, v);
      const path = apiPaths.projectChild(project.id, kind, name!);
      const w = (await ctx.api.call(r.get, path)) as Workload;
      ctx.term.err(
        `Deleting ${one} ${w.name} of project ${project.name} (image ${w.image.pointer})` +
          (w.image.state === 'present' || w.image.state === 'trashed'
            ? '; the image is no longer protected from retention by it\n'
            : '\n'),
      );
      await confirmTyped(ctx.term, bool(v, 'force'), 'yes', `Type yes to delete it: `);
      await ctx.api.call(r.remove, path);
      ctx.print({ name: w.name, deleted: true }, () => `deleted ${one} ${w.name}\n`);
    },
  };

  return {
    name: kind,
    summary: isJobs
      ? "a project's batch jobs and job templates: list, create, change, delete"
      : "a project's apps: list, create, change, delete",
    commands: [list, get, create, set, rm],
  };
}

export const appsGroup = workloadGroup('apps');
export const jobsGroup = workloadGroup('jobs');
