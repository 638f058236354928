import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  type Principal,
  RateLimitedError,
  UnauthenticatedError,
  ForbiddenError,
  InputError,
  actorName,
  checkKeyName,
  checkPassword,
  checkUsername,
} from '@berth/domain';
import type {
  ApiKey,
  CreateApiKeyBody,
  CreateUserBody,
  CreatedApiKey,
  Session,
  UpdateUserBody,
  User,
} from '@berth/contract';
import type { ApiKeyRecord, UserRecord } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import { iso, isoOrNull } from '../iso.js';
import { hashPassword, UNUSABLE_HASH, verifyPassword } from './passwords.js';
import { digest, keyPrefix, newApiKey, parseApiKey, randomToken, sameText } from './tokens.js';
import { createThrottle } from './throttle.js';
import { skipWhenFull } from '../skip-when-full.js';

export interface IdentitySettings {
  sessionIdleMs: number;
  sessionMaxMs: number;
  throttle: { perAccount: number; perAddress: number; windowMs: number };
}

/** A signed-in browser: the principal plus what the session row says. */
export interface SessionContext {
  principal: Extract<Principal, { kind: 'user' }>;
  tokenHash: string;
  csrfToken: string;
  expiresAt: number;
  mustChangePassword: boolean;
}

const INVALID = () =>
  new UnauthenticatedError('INVALID_CREDENTIALS', 'the username or password is not right');
/** Only so often is a session's or key's last-use time written: not on every request. */
const TOUCH_EVERY_MS = 60_000;
/** How long a registry client's checked password is trusted without running scrypt again. */
export const CREDENTIAL_CACHE_MS = 5 * 60_000;
const CREDENTIAL_CACHE_MAX = 10_000;

export function userPrincipal(
  user: UserRecord,
  key: ApiKeyRecord | null = null,
): SessionContext['principal'] {
  return {
    kind: 'user',
    userId: user.id,
    username: user.username,
    admin: user.admin,
    key: key
      ? { id: key.id, name: key.name, access: key.access, namespaces: key.namespaces }
      : null,
  };
}

function toUser(u: UserRecord): User {
  return {
    id: u.id,
    username: u.username,
    admin: u.admin,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    createdAt: iso(u.createdAt),
    lastLoginAt: isoOrNull(u.lastLoginAt),
  };
}

function toApiKey(k: ApiKeyRecord): ApiKey {
  return {
    id: k.id,
    name: k.name,
    access: k.access,
    namespaces: k.namespaces,
    prefix: keyPrefix(k.id),
    createdAt: iso(k.createdAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    revokedAt: isoOrNull(k.revokedAt),
  };
}

/**
 * Registry clients send the password with every token request (podman and docker ask for a
 * token per repository and action), and each scrypt check costs tens of milliseconds of CPU
 * and 32 MiB. A successful check is remembered for `CREDENTIAL_CACHE_MS`, keyed by an HMAC of
 * username and password under a key made at start-up (so no password, nor a hash of one that
 * could be attacked offline, is kept), together with the password hash it was checked against.
 * It only counts while that hash is still the stored one, and the caller still checks that the
 * account is enabled and its password not temporary, so a password change, reset or disabling
 * takes effect at once. Failures are never remembered; sign-in to the console always runs
 * scrypt.
 */
function createCredentialCache(clock: () => number) {
  const key = randomBytes(32);
  const entries = new Map<string, { userId: string; passwordHash: string; until: number }>();
  const id = (username: string, password: string) =>
    createHmac('sha256', key).update(username).update('\0').update(password).digest('base64');
  return {
    holds(username: string, password: string, user: UserRecord): boolean {
      const entry = entries.get(id(username, password));
      return (
        entry !== undefined &&
        entry.until > clock() &&
        entry.userId === user.id &&
        entry.passwordHash === user.passwordHash &&
        !user.disabled &&
        !user.mustChangePassword
      );
    },
    remember(username: string, password: string, user: UserRecord): void {
      if (entries.size >= CREDENTIAL_CACHE_MAX) entries.clear();
      entries.set(id(username, password), {
        userId: user.id,
        passwordHash: user.passwordHash,
        until: clock() + CREDENTIAL_CACHE_MS,
      });
    },
  };
}

export function createIdentityService(deps: ServiceDeps, settings: IdentitySettings) {
  const { store, clock, logger } = deps;
  const throttle = createThrottle(settings.throttle, clock, store.signInFailures);
  const keyTouched = new Map<string, number>();
  const checkedCredentials = createCredentialCache(clock);

  async function audit(
    actor: string,
    action: string,
    target: string,
    outcome: 'success' | 'failure',
    details?: Record<string, unknown>,
  ) {
    await store.audit.record(clock(), { actor, action, target, outcome, details });
  }

  /** A failed attempt: counted, audited without the attempted secret, and refused. */
  async function failed(
    action: string,
    user: UserRecord | null,
    address: string,
    reason: string,
    account: string | null,
  ): Promise<never> {
    // On a full disk the attempt is still refused, uncounted, as its audit entry is skipped.
    await skipWhenFull(logger, 'failed sign-in attempts', () => throttle.fail(account, address));
    // An unknown username is not written down: people type passwords into that field.
    await skipWhenFull(logger, 'failed sign-in attempts', () =>
      audit('anonymous', action, user ? user.username : '(unknown user)', 'failure', {
        address,
        reason,
      }),
    );
    throw INVALID();
  }

  async function checkThrottle(action: string, account: string | null, address: string) {
    try {
      return await throttle.check(account, address);
    } catch (err) {
      if (err instanceof RateLimitedError) {
        await skipWhenFull(logger, 'failed sign-in attempts', () =>
          audit('anonymous', action, '(throttled)', 'failure', {
            address,
            reason: 'throttled',
          }),
        );
      }
      throw err;
    }
  }

  /** A presented API key, if it is one, is valid, live and its owner active. */
  async function keyPrincipal(text: string) {
    const parsed = parseApiKey(text);
    if (!parsed) return null;
    const found = await store.apiKeys.findWithOwner(parsed.id);
    if (
      !found ||
      !sameText(found.secretHash, digest(parsed.secret)) ||
      found.key.revokedAt !== null ||
      found.owner.disabled
    ) {
      return { ok: false as const, owner: found?.owner ?? null };
    }
    const now = clock();
    if (now - (keyTouched.get(found.key.id) ?? 0) > TOUCH_EVERY_MS) {
      keyTouched.set(found.key.id, now);
      await skipWhenFull(logger, "API keys' last use", () =>
        store.apiKeys.markUsed(found.key.id, now),
      );
    }
    return {
      ok: true as const,
      principal: userPrincipal(found.owner, found.key),
      owner: found.owner,
    };
  }

  function sessionBody(user: UserRecord, csrfToken: string, expiresAt: number): Session {
    return {
      user: {
        id: user.id,
        username: user.username,
        admin: user.admin,
        mustChangePassword: user.mustChangePassword,
      },
      csrfToken,
      expiresAt: iso(expiresAt),
    };
  }

  return {
    settings,

    /**
     * First start: with no user at all, creates the admin. Without a configured password one
     * is generated and returned so the caller can print it once; it must be changed at the
     * first sign-in.
     */
    async bootstrapAdmin(username: string, password: string | null): Promise<string | null> {
      if ((await store.users.count()) > 0) return null;
      try {
        checkUsername(username);
        if (password !== null) checkPassword(password, username);
      } catch (err) {
        const which = password === null ? 'BERTH_ADMIN_USERNAME' : 'BERTH_ADMIN_USERNAME/PASSWORD';
        throw new InputError(
          'INVALID_FIRST_ADMIN',
          `cannot create the first admin (${which}): ${(err as Error).message}`,
        );
      }
      const oneTime = password === null ? randomToken().slice(0, 24) : null;
      const created = await store.users.create(
        {
          id: randomUUID(),
          username,
          passwordHash: await hashPassword(password ?? oneTime!),
          admin: true,
          mustChangePassword: oneTime !== null,
        },
        { actor: 'system:first-start', now: clock() },
        { onlyIfNone: true },
      );
      return created ? oneTime : null;
    },

    async login(username: string, password: string, address: string) {
      const counted = await checkThrottle('session.login', username, address);
      const user = await store.users.find(username);
      const ok = await verifyPassword(user?.passwordHash ?? UNUSABLE_HASH, password);
      if (!user || !ok) return failed('session.login', user, address, 'wrong password', username);
      if (user.disabled)
        return failed('session.login', user, address, 'account disabled', username);
      if (counted.accountFailed) await throttle.succeed(username);
      const token = randomToken();
      const csrfToken = randomToken();
      const now = clock();
      const expiresAt = now + settings.sessionMaxMs;
      // Signing in needs its session row: on a full disk it fails whole (507), nothing written.
      await store.sessions.create(
        { tokenHash: digest(token), userId: user.id, csrfToken, now, expiresAt },
        {
          actor: actorName(userPrincipal(user)),
          action: 'session.login',
          target: user.username,
          outcome: 'success',
          details: { address },
        },
      );
      return { token, session: sessionBody(user, csrfToken, expiresAt) };
    },

    /** The session a cookie names, if it is still within both timeouts. */
    async resolveSession(token: string): Promise<SessionContext | null> {
      const tokenHash = digest(token);
      const s = await store.sessions.find(tokenHash);
      if (!s) return null;
      const now = clock();
      if (now >= s.expiresAt || now - s.lastSeenAt >= settings.sessionIdleMs || s.user.disabled) {
        // Ended either way; the sweep removes the row later if the disk is full now.
        await skipWhenFull(logger, 'ended sessions', () => store.sessions.delete(tokenHash));
        return null;
      }
      if (now - s.lastSeenAt > TOUCH_EVERY_MS) {
        await skipWhenFull(logger, "sessions' last use", () =>
          store.sessions.touch(tokenHash, now),
        );
      }
      return {
        principal: userPrincipal(s.user),
        tokenHash,
        csrfToken: s.csrfToken,
        expiresAt: s.expiresAt,
        mustChangePassword: s.user.mustChangePassword,
      };
    },

    async currentSession(ctx: SessionContext): Promise<Session> {
      const user = await store.users.findById(ctx.principal.userId);
      if (!user) throw new UnauthenticatedError('UNAUTHENTICATED', 'sign in first');
      return sessionBody(user, ctx.csrfToken, ctx.expiresAt);
    },

    async logout(ctx: SessionContext): Promise<void> {
      await store.sessions.close(ctx.tokenHash, clock(), {
        actor: actorName(ctx.principal),
        action: 'session.logout',
        target: ctx.principal.username,
        outcome: 'success',
      });
    },

    async changePassword(ctx: SessionContext, current: string, next: string, address: string) {
      const user = await store.users.findById(ctx.principal.userId);
      if (!user) throw new UnauthenticatedError('UNAUTHENTICATED', 'sign in first');
      await checkThrottle('user.password.change', user.username, address);
      if (!(await verifyPassword(user.passwordHash, current))) {
        return failed(
          'user.password.change',
          user,
          address,
          'wrong current password',
          user.username,
        );
      }
      checkPassword(next, user.username);
      if (current === next) {
        throw new InputError(
          'PASSWORD_UNCHANGED',
          'choose a password different from the current one',
        );
      }
      await store.users.changePassword(user.id, await hashPassword(next), ctx.tokenHash, {
        actor: actorName(ctx.principal),
        now: clock(),
      });
    },

    /** `Authorization: Bearer <API key>` on /api. */
    async authenticateBearer(text: string, address: string): Promise<Principal> {
      // Not shaped like a key (a registry token sent to /api, say): not a guess at one either.
      if (!parseApiKey(text)) {
        throw new UnauthenticatedError(
          'INVALID_CREDENTIALS',
          'the Bearer value is not a Berth API key (berth_<id>_<secret>)',
        );
      }
      await checkThrottle('api-key.use', null, address);
      const result = await keyPrincipal(text);
      if (!result?.ok) return failed('api-key.use', null, address, 'unknown or revoked key', null);
      return result.principal;
    },

    /**
     * A registry client's username and password (Basic auth on /v2, and the token endpoint).
     * The password may be an API key, and then the username may be anything: the key alone
     * says who is calling, as on Docker Hub, GitLab or ECR, where CI logs in with a fixed
     * username such as "token". The token endpoint's audit entry records both names.
     */
    async authenticateCredentials(
      username: string,
      secret: string,
      address: string,
    ): Promise<Principal> {
      const action = 'registry.login';
      const counted = await checkThrottle(action, username, address);
      if (parseApiKey(secret)) {
        const result = await keyPrincipal(secret);
        if (!result?.ok) {
          return failed(action, result?.owner ?? null, address, 'unknown or revoked key', username);
        }
        // Only the owner's own name clears that account's failure count: someone else's
        // valid key must not reset the throttle that guards another account's password.
        if (result.owner.username === username && counted.accountFailed) {
          await throttle.succeed(username);
        }
        return result.principal;
      }
      const user = await store.users.find(username);
      const ok =
        (user !== null && checkedCredentials.holds(username, secret, user)) ||
        (await verifyPassword(user?.passwordHash ?? UNUSABLE_HASH, secret));
      if (!user || !ok) return failed(action, user, address, 'wrong password', username);
      if (user.disabled) return failed(action, user, address, 'account disabled', username);
      if (user.mustChangePassword) {
        throw new ForbiddenError(
          'PASSWORD_CHANGE_REQUIRED',
          'this password is temporary: sign in to the console and change it first',
        );
      }
      if (counted.accountFailed) await throttle.succeed(username);
      checkedCredentials.remember(username, secret, user);
      return userPrincipal(user);
    },

    async listUsers(): Promise<User[]> {
      return (await store.users.list()).map(toUser);
    },

    async createUser(body: CreateUserBody, actor: Principal): Promise<User> {
      const username = checkUsername(body.username);
      checkPassword(body.password, username);
      const user = await store.users.create(
        {
          id: randomUUID(),
          username,
          passwordHash: await hashPassword(body.password),
          admin: body.admin ?? false,
          // Whoever set this password knows it; only the user should.
          mustChangePassword: true,
        },
        { actor: actorName(actor), now: clock() },
      );
      return toUser(user!);
    },

    async updateUser(username: string, body: UpdateUserBody, actor: Principal): Promise<User> {
      if (body.password !== undefined) checkPassword(body.password, username);
      if (
        actor.kind === 'user' &&
        actor.username === username &&
        (body.disabled || body.admin === false)
      ) {
        throw new InputError(
          'SELF_LOCKOUT',
          'you cannot disable yourself or remove your own admin role',
        );
      }
      const user = await store.users.update(
        username,
        {
          admin: body.admin,
          disabled: body.disabled,
          passwordHash: body.password === undefined ? undefined : await hashPassword(body.password),
        },
        { actor: actorName(actor), now: clock() },
      );
      return toUser(user);
    },

    async listKeys(p: Principal): Promise<ApiKey[]> {
      if (p.kind !== 'user') return [];
      return (await store.apiKeys.listOf(p.userId)).map(toApiKey);
    },

    async createKey(
      p: Principal,
      body: CreateApiKeyBody,
      namespaceExists: (name: string) => Promise<boolean>,
    ): Promise<CreatedApiKey> {
      if (p.kind !== 'user') throw new UnauthenticatedError('UNAUTHENTICATED', 'sign in first');
      if (p.key) {
        throw new ForbiddenError(
          'FORBIDDEN',
          'API keys cannot create API keys; sign in to the console',
        );
      }
      const name = checkKeyName(body.name);
      const namespaces = body.namespaces ? [...new Set(body.namespaces)].sort() : null;
      for (const ns of namespaces ?? []) {
        if (!(await namespaceExists(ns))) {
          throw new InputError(
            'NAMESPACE_UNKNOWN',
            `namespace "${ns}" does not exist or you have no role in it`,
          );
        }
      }
      const key = newApiKey();
      const created = await store.apiKeys.create(
        {
          id: key.id,
          userId: p.userId,
          username: p.username,
          name,
          secretHash: digest(key.secret),
          access: body.access,
          namespaces,
        },
        { actor: actorName(p), now: clock() },
      );
      logger.info({ keyId: key.id, user: p.username }, 'API key created');
      return { ...toApiKey(created), secret: key.full };
    },

    async revokeKey(p: Principal, id: string): Promise<void> {
      if (p.kind !== 'user') throw new UnauthenticatedError('UNAUTHENTICATED', 'sign in first');
      await store.apiKeys.revoke(p.userId, p.username, id, { actor: actorName(p), now: clock() });
    },

    async sweepSessions(): Promise<number> {
      return store.sessions.deleteExpired(clock(), settings.sessionIdleMs);
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
