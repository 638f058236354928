import { InputError } from './errors.js';

/**
 * Who may do what. Roles are ranked: each includes everything the roles below it allow.
 * Deployment admins hold every role everywhere. API keys narrow their owner's roles
 * (read-only, optional namespace list); they never widen them.
 */
export const NAMESPACE_ROLES = ['viewer', 'writer', 'manager'] as const;
export type NamespaceRole = (typeof NAMESPACE_ROLES)[number];
export const PROJECT_ROLES = ['viewer', 'editor', 'manager'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** What each namespace action needs (PRODUCT.md, issue 6). */
export const NAMESPACE_ACTIONS = {
  /** See the namespace, its repositories, images and trash; pull. */
  read: 'viewer',
  /** Push, delete images and tags, restore from the trash. */
  write: 'writer',
  /** Retention, namespace delete, quota, public flag, members. */
  manage: 'manager',
} as const satisfies Record<string, NamespaceRole>;
export type NamespaceAction = keyof typeof NAMESPACE_ACTIONS;

export const PROJECT_ACTIONS = {
  read: 'viewer',
  /** Apps, jobs, secrets and config maps. */
  edit: 'editor',
  /** Delete, restore, members. */
  manage: 'manager',
} as const satisfies Record<string, ProjectRole>;
export type ProjectAction = keyof typeof PROJECT_ACTIONS;

export type KeyAccess = 'read-only' | 'read-write';

/** An API key's narrowing of its owner's rights. */
export interface KeyScope {
  access: KeyAccess;
  /** null: every namespace the owner can reach. A list also shuts the key out of projects. */
  namespaces: string[] | null;
}

export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      username: string;
      admin: boolean;
      /** Present when the request authenticated with an API key (or a token issued for one). */
      key: ({ id: string; name: string } & KeyScope) | null;
    };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The audit log's name for whoever made the request. */
export function actorName(p: Principal): string {
  if (p.kind === 'anonymous') return 'anonymous';
  return p.key ? `key:${p.username}/${p.key.name}` : `user:${p.username}`;
}

function rank<R extends string>(roles: readonly R[], role: R | null): number {
  return role === null ? -1 : roles.indexOf(role);
}

export function namespaceRoleAllows(role: NamespaceRole | null, action: NamespaceAction): boolean {
  return rank(NAMESPACE_ROLES, role) >= rank(NAMESPACE_ROLES, NAMESPACE_ACTIONS[action]);
}
export function projectRoleAllows(role: ProjectRole | null, action: ProjectAction): boolean {
  return rank(PROJECT_ROLES, role) >= rank(PROJECT_ROLES, PROJECT_ACTIONS[action]);
}

/** What the principal may do in one namespace, given its membership and the public flag. */
export function effectiveNamespaceRole(
  p: Principal,
  ns: { name: string; public: boolean },
  memberRole: NamespaceRole | null,
): NamespaceRole | null {
  let role: NamespaceRole | null =
    p.kind === 'user' && p.admin ? 'manager' : p.kind === 'user' ? memberRole : null;
  if (role === null && ns.public) role = 'viewer';
  if (p.kind === 'user' && p.key) {
    if (p.key.namespaces && !p.key.namespaces.includes(ns.name)) {
      // Public namespaces stay pullable, as they are for anyone.
      role = ns.public ? 'viewer' : null;
    }
    if (role !== null && p.key.access === 'read-only') role = 'viewer';
  }
  return role;
}

export function effectiveProjectRole(
  p: Principal,
  memberRole: ProjectRole | null,
): ProjectRole | null {
  if (p.kind !== 'user') return null;
  if (p.key?.namespaces) return null;
  let role: ProjectRole | null = p.admin ? 'manager' : memberRole;
  if (role !== null && p.key?.access === 'read-only') role = 'viewer';
  return role;
}

/** Deployment-wide actions: users, audit, creating namespaces and projects. */
export function isAdmin(p: Principal, action: 'read' | 'write' = 'write'): boolean {
  if (p.kind !== 'user' || !p.admin) return false;
  if (p.key?.namespaces) return false;
  return action === 'read' || p.key?.access !== 'read-only';
}

// ---- account rules ----

export const USERNAME_RULE =
  'usernames are 2–64 characters: lowercase letters, digits, ".", "_" and "-", starting with a letter or digit';
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function checkUsername(name: string): string {
  if (!USERNAME.test(name)) throw new InputError('INVALID_USERNAME', USERNAME_RULE);
  return name;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/** Length is what makes a password strong; composition rules only make them predictable. */
export function checkPassword(password: string, username?: string): string {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new InputError(
      'WEAK_PASSWORD',
      `passwords are ${PASSWORD_MIN}–${PASSWORD_MAX} characters long`,
    );
  }
  if (username && password.toLowerCase().includes(username.toLowerCase())) {
    throw new InputError('WEAK_PASSWORD', 'the password must not contain the username');
  }
  return password;
}

export const KEY_NAME_RULE =
  'key names are 1–64 characters: letters, digits, " ", ".", "_" and "-"';
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
export function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw new InputError('INVALID_KEY_NAME', KEY_NAME_RULE);
  return name;
}
