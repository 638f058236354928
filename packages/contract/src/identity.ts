import { z } from 'zod';
import { isoDate } from './common.js';

/**
 * Accounts, sessions, API keys and memberships. Passwords and key secrets travel only in
 * requests, and a key's secret once in the response that creates it.
 */
export const namespaceRole = z.enum(['viewer', 'writer', 'manager']);
export type NamespaceRoleName = z.infer<typeof namespaceRole>;
export const projectRole = z.enum(['viewer', 'editor', 'manager']);
export type ProjectRoleName = z.infer<typeof projectRole>;

const username = z.string().min(1).max(64);
const password = z.string().min(1).max(1024);

export const loginBody = z.strictObject({ username, password });
export type LoginBody = z.infer<typeof loginBody>;

export const currentUser = z.object({
  id: z.string(),
  username: z.string(),
  admin: z.boolean(),
  /** Set for a one-time or admin-reset password: every other call is refused until changed. */
  mustChangePassword: z.boolean(),
});
export type CurrentUser = z.infer<typeof currentUser>;

export const session = z.object({
  user: currentUser,
  /** Send back as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE. */
  csrfToken: z.string(),
  /** The absolute end of this session; idle sessions end earlier. */
  expiresAt: isoDate,
});
export type Session = z.infer<typeof session>;

export const changePasswordBody = z.strictObject({
  currentPassword: password,
  newPassword: password,
});
export type ChangePasswordBody = z.infer<typeof changePasswordBody>;

export const user = z.object({
  id: z.string(),
  username: z.string(),
  admin: z.boolean(),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: isoDate,
  lastLoginAt: isoDate.nullable(),
});
export type User = z.infer<typeof user>;
export const userList = z.object({ items: z.array(user) });
export type UserList = z.infer<typeof userList>;

/** The password set here is temporary: the user must change it at first sign-in. */
export const createUserBody = z.strictObject({
  username,
  password,
  admin: z.boolean().optional(),
});
export type CreateUserBody = z.infer<typeof createUserBody>;

/** A new password here resets the account: it must be changed at next sign-in, and every session ends. */
export const updateUserBody = z.strictObject({
  admin: z.boolean().optional(),
  disabled: z.boolean().optional(),
  password: password.optional(),
});
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const apiKeyAccess = z.enum(['read-only', 'read-write']);
export type ApiKeyAccess = z.infer<typeof apiKeyAccess>;

export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  access: apiKeyAccess,
  /** null: every namespace the owner can reach; a list also keeps the key out of projects. */
  namespaces: z.array(z.string()).nullable(),
  /** The key's first characters, to recognise it; never enough to use it. */
  prefix: z.string(),
  createdAt: isoDate,
  lastUsedAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
});
export type ApiKey = z.infer<typeof apiKey>;
export const apiKeyList = z.object({ items: z.array(apiKey) });
export type ApiKeyList = z.infer<typeof apiKeyList>;

export const createApiKeyBody = z.strictObject({
  name: z.string().max(64),
  access: apiKeyAccess,
  namespaces: z.array(z.string().max(64)).max(50).nullable().optional(),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

/** The only response that carries the secret. */
export const createdApiKey = apiKey.extend({ secret: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKey>;

export const namespaceMember = z.object({
  username: z.string(),
  role: namespaceRole,
  addedAt: isoDate,
  addedBy: z.string(),
});
export type NamespaceMember = z.infer<typeof namespaceMember>;
export const namespaceMemberList = z.object({ items: z.array(namespaceMember) });
export type NamespaceMemberList = z.infer<typeof namespaceMemberList>;
export const setNamespaceMemberBody = z.strictObject({ role: namespaceRole });

export const projectMember = namespaceMember.extend({ role: projectRole });
export type ProjectMember = z.infer<typeof projectMember>;
export const projectMemberList = z.object({ items: z.array(projectMember) });
export type ProjectMemberList = z.infer<typeof projectMemberList>;
export const setProjectMemberBody = z.strictObject({ role: projectRole });

/** Docker token specification response (GET /auth/token). */
export const registryToken = z.object({
  token: z.string(),
  access_token: z.string(),
  expires_in: z.number().int(),
  issued_at: isoDate,
});
