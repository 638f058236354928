import {
  apiPaths,
  configMap,
  configMapBody,
  configMapList,
  type ConfigMap,
  configMapUpdateBody,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group, type OptionSpec, type Values, strs } from '../command.js';
import { usageError } from '../exit-codes.js';
import { fields, formatTime, list as joined, table } from '../output.js';
import { confirmTyped } from '../terminal.js';
import {
  fileEntries,
  keyValue,
  mergeEntries,
  projectOf,
  projectScopeOptions,
} from './project-scope.js';

const PROJECT = '/api/v1/projects/{projectId}';
const routes = {
  list: route('get', `${PROJECT}/config-maps`, configMapList),
  create: route('post', `${PROJECT}/config-maps`, configMap, configMapBody),
  get: route('get', `${PROJECT}/config-maps/{name}`, configMap),
  replace: route('put', `${PROJECT}/config-maps/{name}`, configMap, configMapUpdateBody),
  remove: route('delete', `${PROJECT}/config-maps/{name}`, null),
};

const dataOptions: Record<string, OptionSpec> = {
  set: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'one entry' },
  'from-file': {
    type: 'string',
    multiple: true,
    value: 'KEY=PATH',
    description: "KEY's value is the file's content",
  },
};

function givenData(v: Values): Record<string, string> {
  return mergeEntries([
    strs(v, 'set').map((s) => keyValue('--set', s)),
    fileEntries('--from-file', strs(v, 'from-file')),
  ]);
}

/** Values may be whole files: a line each, cut to what fits, so the listing stays readable. */
function shown(value: string): string {
  const line = value.split('\n')[0] ?? '';
  const more = value.includes('\n') || line.length > 60;
  return more ? `${line.slice(0, 60)}… (${value.length} chars)` : line;
}

function detail(c: ConfigMap): string {
  const entries = Object.entries(c.data);
  return (
    fields([
      ['name', c.name],
      ['created', formatTime(c.createdAt)],
      ['updated', formatTime(c.updatedAt)],
    ]) +
    (entries.length === 0
      ? 'no entries\n'
      : table(
          ['KEY', 'VALUE'],
          entries.map(([k, val]) => [k, shown(val)]),
        ))
  );
}

const list: Command = {
  name: 'list',
  summary: "a project's config maps and their keys",
  positionals: 0,
  options: projectScopeOptions,
  async run(ctx, v) {
    const project = await projectOf(ctx, v);
    const { items } = await ctx.api.call(
      routes.list,
      apiPaths.projectChildren(project.id, 'config-maps'),
    );
    ctx.print(items, () =>
      items.length === 0
        ? `no config maps in project ${project.name}\n`
        : table(
            ['NAME', 'KEYS', 'UPDATED'],
            items.map((c) => [c.name, joined(Object.keys(c.data)), formatTime(c.updatedAt)]),
          ),
    );
  },
};

const get: Command = {
  name: 'get',
  summary: 'one config map with its entries (-o json for whole values)',
  args: '<name>',
  positionals: 1,
  options: projectScopeOptions,
  async run(ctx, v, [name]) {
    const project = await projectOf(ctx, v);
    const c = await ctx.api.call(
      routes.get,
      apiPaths.projectChild(project.id, 'config-maps', name!),
    );
    ctx.print(c, () => detail(c));
  },
};

const create: Command = {
  name: 'create',
  summary: 'create a config map',
  args: '<name>',
  positionals: 1,
  options: { ...projectScopeOptions, ...dataOptions },
  async run(ctx, v, [name]) {
    const data = givenData(v);
    const project = await projectOf(ctx, v);
    const c = await ctx.api.call(
      routes.create,
      apiPaths.projectChildren(project.id, 'config-maps'),
      {
        body: { name: name!, data },
      },
    );
    ctx.print(c, () => `created config map ${c.name} in project ${project.name}\n`);
  },
};

const set: Command = {
  name: 'set',
  summary: 'add, change or remove entries; the others are kept',
  args: '<name>',
  positionals: 1,
  options: {
    ...projectScopeOptions,
    ...dataOptions,
    unset: { type: 'string', multiple: true, value: 'KEY', description: 'remove an entry' },
  },
  async run(ctx, v, [name]) {
    const given = givenData(v);
    const unset = strs(v, 'unset');
    if (Object.keys(given).length === 0 && unset.length === 0) {
      throw usageError('nothing to change: give --set, --from-file or --unset');
    }
    const project = await projectOf(ctx, v);
    // The API replaces a config map whole (PUT): read it, change what was asked, send it back.
    const path = apiPaths.projectChild(project.id, 'config-maps', name!);
    const current = await ctx.api.call(routes.get, path);
    const data = { ...current.data, ...given };
    for (const key of unset) {
      if (!Object.hasOwn(data, key))
        throw usageError(`--unset: config map ${current.name} has no key "${key}"`);
      delete data[key];
    }
    const c = await ctx.api.call(routes.replace, path, { body: { data } });
    ctx.print(c, () => detail(c));
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'delete a config map',
  args: '<name>',
  positionals: 1,
  details: 'Asks you to type yes on a terminal; --force skips the question (required without one).',
  options: {
    ...projectScopeOptions,
    force: { type: 'boolean', short: 'f', description: 'do not ask' },
  },
  async run(ctx, v, [name]) {
    const project = await projectOf(ctx, v);
    const path = apiPaths.projectChild(project.id, 'config-maps', name!);
    const c = await ctx.api.call(routes.get, path);
    ctx.term.err(
      `Deleting config map ${c.name} of project ${project.name} (${Object.keys(c.data).length} entries)\n`,
    );
    await confirmTyped(ctx.term, bool(v, 'force'), 'yes', 'Type yes to delete it: ');
    await ctx.api.call(routes.remove, path);
    ctx.print({ name: c.name, deleted: true }, () => `deleted config map ${c.name}\n`);
  },
};

export const configMapsGroup: Group = {
  name: 'config-maps',
  summary: "a project's config maps: list, create, change, delete",
  commands: [list, get, create, set, rm],
};
