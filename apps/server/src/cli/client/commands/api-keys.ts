import { apiKeyList, apiPaths } from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group, str, strs } from '../command.js';
import { usageError } from '../exit-codes.js';
import { formatTime, list as joined, table } from '../output.js';
import { namespaceArg } from '../references.js';
import { createKey, passwordOptions, withPasswordSession } from './session.js';

const routes = {
  list: route('get', '/api/v1/api-keys', apiKeyList),
  revoke: route('delete', '/api/v1/api-keys/{keyId}', null),
};

const list: Command = {
  name: 'list',
  summary: 'your API keys',
  positionals: 0,
  async run(ctx) {
    const { items } = await ctx.api.call(routes.list, apiPaths.apiKeys());
    ctx.print(items, () =>
      items.length === 0
        ? 'no API keys\n'
        : table(
            ['ID', 'NAME', 'ACCESS', 'NAMESPACES', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
            items.map((k) => [
              k.id,
              k.name,
              k.access,
              k.namespaces === null ? 'all' : joined(k.namespaces),
              k.prefix,
              formatTime(k.createdAt),
              formatTime(k.lastUsedAt),
              formatTime(k.revokedAt),
            ]),
          ),
    );
  },
};

const create: Command = {
  name: 'create',
  summary: 'create an API key; its secret is printed once, here',
  args: '<name>',
  positionals: 1,
  details:
    'API keys cannot create API keys, so this signs in with your password for the one request\n' +
    '(asked without echo, or read from stdin with --password-stdin).',
  options: {
    access: {
      type: 'string',
      value: 'ACCESS',
      description: 'read-only or read-write (default read-only)',
    },
    namespace: { type: 'string', multiple: true, value: 'NS', description: 'limit the key to NS' },
    ...passwordOptions,
  },
  async run(ctx, v, [name]) {
    const access = str(v, 'access') ?? 'read-only';
    if (access !== 'read-only' && access !== 'read-write') {
      throw usageError(`--access takes read-only or read-write (got "${access}")`);
    }
    const namespaces = v.namespace ? strs(v, 'namespace').map(namespaceArg) : null;
    const key = await withPasswordSession(
      ctx,
      str(v, 'user'),
      bool(v, 'password-stdin'),
      (headers) => createKey(ctx, headers, { name: name!, access, namespaces }),
    );
    ctx.print(
      key,
      () =>
        `created API key ${key.name} (${key.id}, ${key.access})\n${key.secret}\n` +
        'This is the only time the key is shown: store it now.\n',
    );
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'revoke one of your API keys',
  args: '<key-id>',
  positionals: 1,
  async run(ctx, _v, [id]) {
    await ctx.api.call(routes.revoke, apiPaths.apiKey(id!));
    ctx.print({ revoked: id }, () => `revoked API key ${id}\n`);
  },
};

export const apiKeysGroup: Group = {
  name: 'api-keys',
  summary: 'list, create and revoke your API keys',
  commands: [list, create, revoke],
};
