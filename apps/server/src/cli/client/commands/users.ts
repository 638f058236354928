import {
  apiPaths,
  createUserBody,
  updateUserBody,
  user,
  userList,
  type User,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group } from '../command.js';
import { usageError } from '../exit-codes.js';
import { fields, formatTime, table } from '../output.js';
import { readPassword } from '../terminal.js';

const routes = {
  list: route('get', '/api/v1/users', userList),
  create: route('post', '/api/v1/users', user, createUserBody),
  update: route('patch', '/api/v1/users/{username}', user, updateUserBody),
};

const userFields = (u: User) =>
  fields([
    ['username', u.username],
    ['admin', u.admin ? 'yes' : 'no'],
    ['disabled', u.disabled ? 'yes' : 'no'],
    ['must change password', u.mustChangePassword ? 'yes' : 'no'],
    ['created', formatTime(u.createdAt)],
    ['last sign-in', formatTime(u.lastLoginAt)],
  ]);

const list: Command = {
  name: 'list',
  summary: 'every user (admin)',
  positionals: 0,
  async run(ctx) {
    const { items } = await ctx.api.call(routes.list, apiPaths.users());
    ctx.print(items, () =>
      table(
        ['USERNAME', 'ADMIN', 'DISABLED', 'MUST CHANGE PASSWORD', 'CREATED', 'LAST SIGN-IN'],
        items.map((u) => [
          u.username,
          u.admin ? 'yes' : 'no',
          u.disabled ? 'yes' : 'no',
          u.mustChangePassword ? 'yes' : 'no',
          formatTime(u.createdAt),
          formatTime(u.lastLoginAt),
        ]),
      ),
    );
  },
};

const passwordStdin = {
  'password-stdin': { type: 'boolean' as const, description: 'read the password from stdin' },
};

const add: Command = {
  name: 'add',
  summary: 'create a user with a temporary password, changed at first sign-in (admin)',
  args: '<username>',
  positionals: 1,
  details:
    'The temporary password is asked without echo, or read from stdin with --password-stdin.',
  options: { admin: { type: 'boolean', description: 'a deployment admin' }, ...passwordStdin },
  async run(ctx, v, [username]) {
    const password = await readPassword(
      ctx.term,
      bool(v, 'password-stdin'),
      `Temporary password for ${username}: `,
    );
    const u = await ctx.api.call(routes.create, apiPaths.users(), {
      body: { username: username!, password, ...(bool(v, 'admin') ? { admin: true } : {}) },
    });
    ctx.print(
      u,
      () =>
        `created user ${u.username}${u.admin ? ' (admin)' : ''}; the password must be changed at first sign-in\n`,
    );
  },
};

const set: Command = {
  name: 'set',
  summary: 'make admin, disable, enable, or reset the password of a user (admin)',
  args: '<username>',
  positionals: 1,
  options: {
    admin: { type: 'boolean', description: 'make a deployment admin' },
    'no-admin': { type: 'boolean', description: 'no longer an admin' },
    disable: { type: 'boolean', description: 'refuse their sign-ins and keys' },
    enable: { type: 'boolean', description: 'allow them again' },
    'reset-password': {
      type: 'boolean',
      description: 'set a temporary password (ends their sessions)',
    },
    ...passwordStdin,
  },
  async run(ctx, v, [username]) {
    if (bool(v, 'admin') && bool(v, 'no-admin'))
      throw usageError('--admin or --no-admin, not both');
    if (bool(v, 'disable') && bool(v, 'enable'))
      throw usageError('--disable or --enable, not both');
    const body: { admin?: boolean; disabled?: boolean; password?: string } = {};
    if (bool(v, 'admin')) body.admin = true;
    if (bool(v, 'no-admin')) body.admin = false;
    if (bool(v, 'disable')) body.disabled = true;
    if (bool(v, 'enable')) body.disabled = false;
    if (bool(v, 'reset-password')) {
      body.password = await readPassword(
        ctx.term,
        bool(v, 'password-stdin'),
        `Temporary password for ${username}: `,
      );
    }
    if (Object.keys(body).length === 0) {
      throw usageError(
        'nothing to change: give --admin, --no-admin, --disable, --enable or --reset-password',
      );
    }
    const u = await ctx.api.call(routes.update, apiPaths.user(username!), { body });
    ctx.print(u, () => userFields(u));
  },
};

export const usersGroup: Group = {
  name: 'users',
  summary: 'list, create and change users (admin)',
  commands: [list, add, set],
};
