import os from 'node:os';
import {
  apiPaths,
  createApiKeyBody,
  createdApiKey,
  type CreatedApiKey,
  loginBody,
  session,
} from '@berth/contract';
import { createApi, route } from '../api.js';
import { bool, type Command, type Context, type Group, str } from '../command.js';
import { configFile, forgetLogin, readLogin, type StoredLogin, writeLogin } from '../connection.js';
import { ApiError } from '../http.js';
import { usageError } from '../exit-codes.js';
import { readPassword } from '../terminal.js';

const routes = {
  signIn: route('post', '/api/v1/session', session, loginBody),
  signOut: route('delete', '/api/v1/session', null),
  createKey: route('post', '/api/v1/api-keys', createdApiKey, createApiKeyBody),
  revokeKey: route('delete', '/api/v1/api-keys/{keyId}', null),
};

export const passwordOptions = {
  user: { type: 'string' as const, short: 'u', value: 'NAME', description: 'your user name' },
  'password-stdin': { type: 'boolean' as const, description: 'read the password from stdin' },
};

async function usernameOf(ctx: Context, given: string | undefined): Promise<string> {
  const name = given ?? readLogin(ctx.env)?.username;
  if (name) return name;
  if (!ctx.term.interactive) throw usageError('give your user name with -u NAME');
  const typed = (await ctx.term.ask('User name: ')).trim();
  if (!typed) throw usageError('the user name is empty');
  return typed;
}

/**
 * API keys cannot create API keys, so creating one signs in with the password for this one
 * request and signs out again: the session never outlives the command.
 */
export async function withPasswordSession<T>(
  ctx: Context,
  username: string | undefined,
  fromStdin: boolean,
  work: (headers: Record<string, string>, user: string) => Promise<T>,
): Promise<T> {
  const user = await usernameOf(ctx, username);
  const password = await readPassword(ctx.term, fromStdin, `Password for ${user}: `);
  let cookie = '';
  const signedIn = await ctx.api.call(routes.signIn, apiPaths.session(), {
    body: { username: user, password },
    anonymous: true,
    onHeaders(headers) {
      cookie = (headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    },
  });
  const headers = { cookie, 'x-csrf-token': signedIn.csrfToken };
  try {
    return await work(headers, user);
  } finally {
    await ctx.api
      .call(routes.signOut, apiPaths.session(), { headers, anonymous: true })
      .catch(() => undefined);
  }
}

export async function createKey(
  ctx: Context,
  headers: Record<string, string>,
  body: { name: string; access: 'read-only' | 'read-write'; namespaces?: string[] | null },
): Promise<CreatedApiKey> {
  return ctx.api.call(routes.createKey, apiPaths.apiKeys(), { body, headers, anonymous: true });
}

const login: Command = {
  name: '',
  summary: 'sign in: create an API key for this client and remember it',
  positionals: 0,
  details:
    'Asks for the password without echo (or reads it from stdin with --password-stdin), creates\n' +
    'a read-write API key through the API and stores the server and key in\n' +
    '$XDG_CONFIG_HOME/berth/config.json (else ~/.config/berth/config.json), mode 0600.\n' +
    'The key is never printed. berth logout revokes it.',
  options: {
    ...passwordOptions,
    'key-name': {
      type: 'string',
      value: 'NAME',
      description: 'name of the API key (default: berth-cli on <host>)',
    },
  },
  async run(ctx, v) {
    const server = ctx.api.transport.server;
    const keyName = str(v, 'key-name') ?? defaultKeyName(os.hostname());
    const { key, user } = await withPasswordSession(
      ctx,
      str(v, 'user'),
      bool(v, 'password-stdin'),
      async (headers, user) => ({
        key: await createKey(ctx, headers, { name: keyName, access: 'read-write' }),
        user,
      }),
    );
    const previous = readLogin(ctx.env);
    const file = writeLogin(ctx.env, {
      server,
      username: user,
      apiKey: key.secret,
      keyId: key.id,
      keyName: key.name,
      insecure: ctx.api.transport.insecure,
    });
    // A login replaced on the same server leaves no usable key behind.
    if (previous && previous.server === server && previous.keyId !== key.id) {
      await revoke(ctx, previous).catch(() => undefined);
    }
    const { secret: _secret, ...shown } = key;
    ctx.print(
      { server, username: user, key: shown },
      () => `signed in to ${server} as ${user} (API key ${key.name}, saved in ${file})\n`,
    );
  },
};

/** Revokes a stored key at the server it belongs to, whatever --server says now. */
async function revoke(ctx: Context, stored: StoredLogin): Promise<void> {
  const api = createApi(
    { server: stored.server, apiKey: stored.apiKey, insecure: stored.insecure },
    (line) => ctx.term.progress(line),
  );
  await api.call(routes.revokeKey, apiPaths.apiKey(stored.keyId));
}

const logout: Command = {
  name: '',
  summary: 'revoke the API key berth login created, and forget it',
  positionals: 0,
  async run(ctx) {
    const stored = readLogin(ctx.env);
    if (!stored) {
      ctx.print({ loggedOut: false }, () => `not signed in (no ${configFile(ctx.env)})\n`);
      return;
    }
    try {
      await revoke(ctx, stored);
    } catch (err) {
      // Already revoked (or the user is gone): forgetting it is all that is left to do.
      if (!(err instanceof ApiError && (err.status === 401 || err.status === 404))) throw err;
    }
    forgetLogin(ctx.env);
    ctx.print(
      { loggedOut: true, server: stored.server },
      () => `signed out of ${stored.server}; API key ${stored.keyName} revoked\n`,
    );
  },
};

export const loginGroup: Group = { name: 'login', summary: login.summary, commands: [login] };
export const logoutGroup: Group = { name: 'logout', summary: logout.summary, commands: [logout] };

/** `berth-cli on <host>`, within the API's key-name rule (letters, digits, space, . _ -; 64). */
export function defaultKeyName(host: string): string {
  return `berth-cli on ${host.replace(/[^A-Za-z0-9 ._-]/g, '-')}`.slice(0, 64).trimEnd();
}
