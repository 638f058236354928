import {
  apiPaths,
  secret,
  secretBody,
  secretList,
  type Secret,
  type SecretUpdateBody,
  secretUpdateBody,
} from '@berth/contract';
import { route } from '../api.js';
import {
  bool,
  type Command,
  type Context,
  type Group,
  type OptionSpec,
  type Values,
  str,
  strs,
} from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { fields, formatTime, list as joined, table } from '../output.js';
import { confirmTyped, readPassword } from '../terminal.js';
import {
  fileEntries,
  keyValue,
  mergeEntries,
  projectOf,
  projectScopeOptions,
  readValueFile,
} from './project-scope.js';

const PROJECT = '/api/v1/projects/{projectId}';
const routes = {
  list: route('get', `${PROJECT}/secrets`, secretList),
  create: route('post', `${PROJECT}/secrets`, secret, secretBody),
  get: route('get', `${PROJECT}/secrets/{name}`, secret),
  replace: route('put', `${PROJECT}/secrets/{name}`, secret, secretUpdateBody),
  remove: route('delete', `${PROJECT}/secrets/{name}`, null),
};

/** What stands for a value: the API never returns one, and the client never prints one. */
const MASK = '••••••';

/*
 * Values are read from files or stdin, never taken from a flag: a flag's value shows in `ps`
 * and in the shell's history, which is exactly where a secret must not be.
 */
const valueOptions: Record<string, OptionSpec> = {
  type: { type: 'string', value: 'TYPE', description: 'generic (default) or registry' },
  'from-file': {
    type: 'string',
    multiple: true,
    value: 'KEY=PATH',
    description: "generic: KEY's value is the file's content",
  },
  'from-stdin': {
    type: 'string',
    value: 'KEY',
    description: "generic: KEY's value is stdin (one trailing newline dropped)",
  },
  'from-env-file': {
    type: 'string',
    value: 'PATH',
    description: 'generic: KEY=VALUE lines (# comments and blank lines skipped)',
  },
  registry: { type: 'string', value: 'SERVER', description: 'registry: its host, e.g. ghcr.io' },
  username: { type: 'string', value: 'USER', description: 'registry: the user name' },
  'password-stdin': { type: 'boolean', description: 'registry: the password is stdin' },
  'password-file': {
    type: 'string',
    value: 'PATH',
    description: 'registry: the password is the file (one trailing newline dropped)',
  },
};

const dropNewline = (text: string) => text.replace(/\r?\n$/, '');

function envFileEntries(file: string): [string, string][] {
  return readValueFile('--from-env-file', file)
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => keyValue('--from-env-file line', line));
}

/** The value to send, from the flags and files or stdin; checked fully before anything is read. */
async function valuesOf(
  ctx: Context,
  v: Values,
  type: 'generic' | 'registry',
): Promise<SecretUpdateBody> {
  const generic = ['from-file', 'from-stdin', 'from-env-file'].filter((f) => v[f] !== undefined);
  const registry = ['registry', 'username', 'password-stdin', 'password-file'].filter(
    (f) => v[f] !== undefined && v[f] !== false,
  );
  if (type === 'generic') {
    if (registry.length > 0) throw usageError(`--${registry[0]} is for --type registry`);
    if (generic.length === 0) {
      throw usageError(
        'give the values: --from-file KEY=PATH, --from-stdin KEY or --from-env-file PATH',
      );
    }
    const sources = [fileEntries('--from-file', strs(v, 'from-file'))];
    const envFile = str(v, 'from-env-file');
    if (envFile !== undefined) sources.push(envFileEntries(envFile));
    const stdinKey = str(v, 'from-stdin');
    if (stdinKey !== undefined) {
      const value = ctx.term.interactive
        ? await ctx.term.askSecret(`Value of ${stdinKey} (not shown): `)
        : dropNewline(await ctx.term.readStdin());
      sources.push([[stdinKey, value]]);
    }
    return { type, data: mergeEntries(sources) };
  }
  if (generic.length > 0) throw usageError(`--${generic[0]} is for --type generic`);
  const server = str(v, 'registry');
  const username = str(v, 'username');
  if (server === undefined || username === undefined) {
    throw usageError('a registry secret needs --registry SERVER and --username USER');
  }
  const file = str(v, 'password-file');
  if (file !== undefined && bool(v, 'password-stdin')) {
    throw usageError('--password-stdin or --password-file, not both');
  }
  const password =
    file !== undefined
      ? dropNewline(readValueFile('--password-file', file))
      : await readPassword(
          ctx.term,
          bool(v, 'password-stdin'),
          `Password for ${username}@${server}: `,
        );
  if (password === '') throw usageError('the password is empty');
  return { type, server, username, password };
}

function typeOf(v: Values): 'generic' | 'registry' | undefined {
  const type = str(v, 'type');
  if (type === undefined || type === 'generic' || type === 'registry') return type;
  throw usageError(`--type takes generic or registry (got "${type}")`);
}

function detail(s: Secret): string {
  return fields([
    ['name', s.name],
    ['type', s.type],
    ...(s.type === 'registry'
      ? ([
          ['registry', s.server ?? '-'],
          ['username', s.username ?? '-'],
          ['password', MASK],
        ] as [string, string][])
      : ([['data', s.keys.map((k) => `${k}=${MASK}`).join(' ') || '-']] as [string, string][])),
    ['created', formatTime(s.createdAt)],
    ['updated', formatTime(s.updatedAt)],
  ]);
}

const list: Command = {
  name: 'list',
  summary: "a project's secrets: names, types and keys, never values",
  positionals: 0,
  options: projectScopeOptions,
  async run(ctx, v) {
    const project = await projectOf(ctx, v);
    const { items } = await ctx.api.call(
      routes.list,
      apiPaths.projectChildren(project.id, 'secrets'),
    );
    ctx.print(items, () =>
      items.length === 0
        ? `no secrets in project ${project.name}\n`
        : table(
            ['NAME', 'TYPE', 'KEYS', 'REGISTRY', 'USERNAME', 'UPDATED'],
            items.map((s) => [
              s.name,
              s.type,
              joined(s.keys),
              s.server ?? '-',
              s.username ?? '-',
              formatTime(s.updatedAt),
            ]),
          ),
    );
  },
};

const get: Command = {
  name: 'get',
  summary: 'one secret, its values masked',
  args: '<name>',
  positionals: 1,
  options: projectScopeOptions,
  async run(ctx, v, [name]) {
    const project = await projectOf(ctx, v);
    const s = await ctx.api.call(routes.get, apiPaths.projectChild(project.id, 'secrets', name!));
    ctx.print(s, () => detail(s));
  },
};

const create: Command = {
  name: 'create',
  summary: 'create a secret, its values read from files or stdin',
  args: '<name>',
  positionals: 1,
  details:
    'Values never come from a flag (flags show in ps and in shell history). Examples:\n' +
    '  berth secrets create api -p shop --from-file TOKEN=./token.txt\n' +
    '  printf %s "$TOKEN" | berth secrets create api -p shop --from-stdin TOKEN\n' +
    '  berth secrets create pull -p shop --type registry --registry ghcr.io --username bot \\\n' +
    '    --password-stdin < pat.txt\n' +
    'The value is encrypted at rest and never shown again, by the console or by berth.',
  options: { ...projectScopeOptions, ...valueOptions },
  async run(ctx, v, [name]) {
    const type = typeOf(v) ?? 'generic';
    const project = await projectOf(ctx, v);
    const body = { name: name!, ...(await valuesOf(ctx, v, type)) };
    const s = await ctx.api.call(routes.create, apiPaths.projectChildren(project.id, 'secrets'), {
      body,
    });
    ctx.print(s, () => `created secret ${s.name} in project ${project.name}\n${detail(s)}`);
  },
};

const set: Command = {
  name: 'set',
  summary: 'replace every value of a secret (its type stays)',
  args: '<name>',
  positionals: 1,
  details:
    'Takes the values as create does; keys not given are removed, as the API replaces a secret\n' +
    'whole. A secret cannot change its type: delete and create it again.',
  options: { ...projectScopeOptions, ...valueOptions },
  async run(ctx, v, [name]) {
    const project = await projectOf(ctx, v);
    const path = apiPaths.projectChild(project.id, 'secrets', name!);
    const current = await ctx.api.call(routes.get, path);
    const type = typeOf(v) ?? current.type;
    if (type !== current.type) {
      throw new CliError(
        EXIT.refused,
        `secret ${current.name} is a ${current.type} secret; its type cannot change (delete it and create it again)`,
      );
    }
    const s = await ctx.api.call(routes.replace, path, { body: await valuesOf(ctx, v, type) });
    ctx.print(s, () => `replaced the values of secret ${s.name}\n${detail(s)}`);
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'delete a secret',
  args: '<name>',
  positionals: 1,
  details: 'Asks you to type yes on a terminal; --force skips the question (required without one).',
  options: {
    ...projectScopeOptions,
    force: { type: 'boolean', short: 'f', description: 'do not ask' },
  },
  async run(ctx, v, [name]) {
    const project = await projectOf(ctx, v);
    const path = apiPaths.projectChild(project.id, 'secrets', name!);
    const s = await ctx.api.call(routes.get, path);
    ctx.term.err(`Deleting secret ${s.name} (${s.type}) of project ${project.name}, for good\n`);
    await confirmTyped(ctx.term, bool(v, 'force'), 'yes', 'Type yes to delete it: ');
    await ctx.api.call(routes.remove, path);
    ctx.print({ name: s.name, deleted: true }, () => `deleted secret ${s.name}\n`);
  },
};

export const secretsGroup: Group = {
  name: 'secrets',
  summary: "a project's secrets: values go in from files or stdin and never come back out",
  commands: [list, get, create, set, rm],
};
