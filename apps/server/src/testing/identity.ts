import { randomBytes } from 'node:crypto';
import type { KeyAccess, NamespaceRole } from '@berth/domain';
import { userPrincipal } from '../services/identity/identity-service.js';
import { ADMIN, type TestServer } from './test-server.js';

export interface TestUser {
  username: string;
  /** A usable password (the temporary one was already changed). */
  password: string;
  userId: string;
  /** The API key asked for, in full (`berth_<id>_<secret>`). */
  key: string | null;
  keyId: string | null;
}

export interface TestUserOptions {
  password?: string;
  admin?: boolean;
  /** Namespace → role; the namespaces must exist. */
  roles?: Record<string, NamespaceRole>;
  /** An API key of the user, read-write unless said otherwise. */
  key?: { name?: string; access?: KeyAccess; namespaces?: string[] };
}

/** Passwords may not contain the username. */
function freshPassword(username: string): string {
  for (;;) {
    const candidate = `Pw.${randomBytes(18).toString('base64url')}`;
    if (!candidate.toLowerCase().includes(username.toLowerCase())) return candidate;
  }
}

async function principalOf(server: TestServer, username: string) {
  const user = await server.store.users.find(username);
  if (!user) throw new Error(`no user "${username}"`);
  return userPrincipal(user);
}

/**
 * A user as an admin would set one up, through the services the API uses: created with a
 * temporary password, which the user then replaces by signing in (so the account is usable
 * by registry clients), then given namespace roles and optionally an API key.
 */
export async function createTestUser(
  server: TestServer,
  username: string,
  opts: TestUserOptions = {},
): Promise<TestUser> {
  const { identity, access } = server.services;
  const admin = await principalOf(server, ADMIN.username);
  const password = opts.password ?? freshPassword(username);
  const temporary = freshPassword(username);
  await identity.createUser({ username, password: temporary, admin: opts.admin ?? false }, admin);
  const { token } = await identity.login(username, temporary, '127.0.0.1');
  const session = await identity.resolveSession(token);
  if (!session) throw new Error('the new user could not sign in');
  await identity.changePassword(session, temporary, password, '127.0.0.1');
  await identity.logout(session);

  for (const [namespace, role] of Object.entries(opts.roles ?? {})) {
    const ns = await access.requireNamespace(admin, namespace, 'manage');
    await access.setNamespaceMember(ns, username, role, admin);
  }

  const self = await principalOf(server, username);
  let key: TestUser['key'] = null;
  let keyId: TestUser['keyId'] = null;
  if (opts.key) {
    const created = await identity.createKey(
      self,
      {
        name: opts.key.name ?? `${username}-key`,
        access: opts.key.access ?? 'read-write',
        ...(opts.key.namespaces ? { namespaces: opts.key.namespaces } : {}),
      },
      async () => true,
    );
    key = created.secret;
    keyId = created.id;
  }
  return { username, password, userId: self.userId, key, keyId };
}

/** Revokes a key the way its owner would. */
export async function revokeTestKey(server: TestServer, user: TestUser): Promise<void> {
  if (!user.keyId) throw new Error(`${user.username} has no key`);
  await server.services.identity.revokeKey(await principalOf(server, user.username), user.keyId);
}

/** `Authorization: Basic` for a username and a password or API key. */
export function basicAuth(username: string, secret: string): string {
  return `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
}

/**
 * `server.dump()` (which already leaves out key and sign-in times) without the
 * `registry.login` audit entries a registry client adds by fetching a token per operation.
 * For tests that check a refused registry operation stored nothing.
 */
export async function dumpIgnoringLogins(server: TestServer): Promise<string> {
  const tables = JSON.parse(await server.dump()) as Record<string, Record<string, unknown>[]>;
  tables.audit_events = (tables.audit_events ?? []).filter((e) => e.action !== 'registry.login');
  return JSON.stringify(tables);
}
