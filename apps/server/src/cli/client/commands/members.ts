import {
  apiPaths,
  namespaceMember,
  namespaceMemberList,
  namespaceRole,
  projectMember,
  projectMemberList,
  projectRole,
  setNamespaceMemberBody,
  setProjectMemberBody,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, type Values, str } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { formatTime, table } from '../output.js';
import { namespaceArg } from '../references.js';
import { confirmTyped } from '../terminal.js';
import { findProject, regionOption } from './projects.js';

const NS = '/api/v1/namespaces/{namespace}/members';
const PROJECT = '/api/v1/projects/{projectId}/members';
const routes = {
  namespace: {
    list: route('get', NS, namespaceMemberList),
    set: route('put', `${NS}/{username}`, namespaceMember, setNamespaceMemberBody),
    remove: route('delete', `${NS}/{username}`, null),
  },
  project: {
    list: route('get', PROJECT, projectMemberList),
    set: route('put', `${PROJECT}/{username}`, projectMember, setProjectMemberBody),
    remove: route('delete', `${PROJECT}/{username}`, null),
  },
};

const targetOptions = {
  namespace: { type: 'string' as const, value: 'NS', description: "the namespace's members" },
  project: { type: 'string' as const, value: 'NAME|ID', description: "the project's members" },
  ...regionOption,
};

const roleOption = {
  role: {
    type: 'string' as const,
    value: 'ROLE',
    description: 'namespace: viewer, writer or manager; project: viewer, editor or manager',
  },
};

type MemberRow = { username: string; role: string; addedAt: string; addedBy: string };

/**
 * A namespace and a project hold members the same way but with different roles and routes:
 * the target knows which, so every verb is written once.
 */
interface Target {
  kind: 'namespace' | 'project';
  /** "namespace team-alpha", "project shop": for messages. */
  label: string;
  roles: readonly string[];
  list(): Promise<MemberRow[]>;
  set(username: string, role: string): Promise<MemberRow>;
  remove(username: string): Promise<void>;
}

async function targetOf(ctx: Context, v: Values): Promise<Target> {
  const ns = str(v, 'namespace');
  const project = str(v, 'project');
  if ((ns === undefined) === (project === undefined)) {
    throw usageError('give --namespace NS or --project NAME (one of them)');
  }
  if (ns !== undefined) {
    const name = namespaceArg(ns);
    const r = routes.namespace;
    return {
      kind: 'namespace',
      label: `namespace ${name}`,
      roles: namespaceRole.options,
      list: async () => (await ctx.api.call(r.list, apiPaths.namespaceMembers(name))).items,
      set: (username, role) =>
        ctx.api.call(r.set, apiPaths.namespaceMember(name, username), {
          body: { role: role as (typeof namespaceRole.options)[number] },
        }),
      remove: (username) => ctx.api.call(r.remove, apiPaths.namespaceMember(name, username)),
    };
  }
  const p = await findProject(ctx, project!, str(v, 'region'), 'active');
  const r = routes.project;
  return {
    kind: 'project',
    label: `project ${p.name}`,
    roles: projectRole.options,
    list: async () => (await ctx.api.call(r.list, apiPaths.projectMembers(p.id))).items,
    set: (username, role) =>
      ctx.api.call(r.set, apiPaths.projectMember(p.id, username), {
        body: { role: role as (typeof projectRole.options)[number] },
      }),
    remove: (username) => ctx.api.call(r.remove, apiPaths.projectMember(p.id, username)),
  };
}

function roleOf(v: Values, target: Target): string {
  const role = str(v, 'role');
  if (role === undefined) throw usageError(`--role is required: ${target.roles.join(', ')}`);
  if (!target.roles.includes(role)) {
    throw usageError(
      `--role for a ${target.kind} takes ${target.roles.join(', ')} (got "${role}")`,
    );
  }
  return role;
}

async function currentRole(target: Target, username: string): Promise<string | null> {
  return (await target.list()).find((m) => m.username === username)?.role ?? null;
}

const list: Command = {
  name: 'list',
  summary: 'members of a namespace or project, and their roles',
  positionals: 0,
  options: targetOptions,
  async run(ctx, v) {
    const target = await targetOf(ctx, v);
    const items = await target.list();
    ctx.print(items, () =>
      items.length === 0
        ? `no members in ${target.label} (administrators can do everything everywhere)\n`
        : table(
            ['USERNAME', 'ROLE', 'ADDED', 'ADDED BY'],
            items.map((m) => [m.username, m.role, formatTime(m.addedAt), m.addedBy]),
          ),
    );
  },
};

const add: Command = {
  name: 'add',
  summary: 'give a user a role in a namespace or project (manager)',
  args: '<username>',
  positionals: 1,
  details: 'A user who is a member already is refused (exit 5): change the role with "set".',
  options: { ...targetOptions, ...roleOption },
  async run(ctx, v, [username]) {
    const target = await targetOf(ctx, v);
    const role = roleOf(v, target);
    const held = await currentRole(target, username!);
    if (held !== null) {
      throw new CliError(
        EXIT.refused,
        `${username} has the ${held} role in ${target.label} already; change it with berth members set`,
      );
    }
    const m = await target.set(username!, role);
    ctx.print(m, () => `${m.username} has the ${m.role} role in ${target.label}\n`);
  },
};

const set: Command = {
  name: 'set',
  summary: "change a member's role (manager)",
  args: '<username>',
  positionals: 1,
  details: 'Only for members: a user who is not one is exit 3 (add them with "add").',
  options: { ...targetOptions, ...roleOption },
  async run(ctx, v, [username]) {
    const target = await targetOf(ctx, v);
    const role = roleOf(v, target);
    if ((await currentRole(target, username!)) === null) {
      throw new CliError(EXIT.notFound, `${username} is not a member of ${target.label}`);
    }
    const m = await target.set(username!, role);
    ctx.print(m, () => `${m.username} has the ${m.role} role in ${target.label}\n`);
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'take a member out of a namespace or project (manager)',
  args: '<username>',
  positionals: 1,
  details: 'Asks you to type yes on a terminal; --force skips the question (required without one).',
  options: { ...targetOptions, force: { type: 'boolean', short: 'f', description: 'do not ask' } },
  async run(ctx, v, [username]) {
    const target = await targetOf(ctx, v);
    const held = await currentRole(target, username!);
    if (held === null) {
      throw new CliError(EXIT.notFound, `${username} is not a member of ${target.label}`);
    }
    ctx.term.err(`Removing ${username} (${held}) from ${target.label}\n`);
    await confirmTyped(ctx.term, bool(v, 'force'), 'yes', 'Type yes to remove them: ');
    await target.remove(username!);
    ctx.print({ username, removed: true }, () => `removed ${username} from ${target.label}\n`);
  },
};

export const membersGroup: Group = {
  name: 'members',
  summary: 'who may do what in a namespace or project',
  commands: [list, add, set, rm],
};
