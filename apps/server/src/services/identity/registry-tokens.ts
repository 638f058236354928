import { randomUUID } from 'node:crypto';
import { type JWTVerifyOptions, SignJWT, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import {
  ANONYMOUS,
  InputError,
  type NamespaceRole,
  type Principal,
  UnauthenticatedError,
  actorName,
  isAdmin,
  namespaceRoleAllows,
} from '@berth/domain';
import type { ServiceDeps } from '../deps.js';
import type { AccessService } from './access-service.js';
import { userPrincipal } from './identity-service.js';
import { parseRepositoryName } from '../registry/repository-name.js';
import { skipWhenFull } from '../skip-when-full.js';

/**
 * Registry tokens after the Docker token specification (distribution/docs/spec/auth): clients
 * that meet a `401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` on /v2 fetch a
 * JWT from the realm (/auth/token) with their username and password or API key, and send it
 * as `Authorization: Bearer` on /v2. The token lists what it grants (`access`); on use the
 * registry also checks that the account or key still exists and is live, so revoking a key or
 * disabling a user takes effect within `PRINCIPAL_CACHE_MS` and not only when tokens expire.
 */

/** The `service` of the challenge and the tokens' audience. One name, whatever the Host. */
export const REGISTRY_SERVICE = 'berth';
const ISSUER = 'berth';
/** Several server processes issue and verify each other's tokens; this covers clock skew. */
const NOT_BEFORE_SKEW_S = 10;
/**
 * How long a checked account or key is trusted before it is looked up again. /v2 also trusts a
 * checked token for REGISTRY_AUTH_CACHE_MS (oci/auth-decisions.ts), so a revoked key's token
 * stops within the sum of the two: 2 seconds.
 */
export const PRINCIPAL_CACHE_MS = 1_000;
const PRINCIPAL_CACHE_MAX = 10_000;

export type RepositoryAction = 'pull' | 'push' | 'delete';

/** One `access` entry of a token, as the specification names it. */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface IssuedToken {
  token: string;
  /** Seconds. */
  expiresIn: number;
  /** Epoch milliseconds. */
  issuedAt: number;
  access: ResourceAccess[];
}

const claimsSchema = z.object({
  sub: z.string(),
  access: z.array(z.object({ type: z.string(), name: z.string(), actions: z.array(z.string()) })),
  uid: z.string().optional(),
  key_id: z.string().optional(),
});

/**
 * `type[(class)]:name:action,action`; the name may itself hold ":" (a registry host with a
 * port), so the type ends at the first ":" and the actions start after the last one.
 */
export function parseScope(text: string): ResourceAccess | null {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const type = text.slice(0, first).replace(/\(.*\)$/, '');
  const name = text.slice(first + 1, last);
  const actions = text
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!name || actions.length === 0) return null;
  return { type, name, actions };
}

/** Whether a token's access list allows `action` on the resource; `*` is every action. */
export function grants(
  access: readonly ResourceAccess[],
  type: string,
  name: string,
  action: string,
): boolean {
  return access.some(
    (a) =>
      a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')),
  );
}

/** What a namespace role allows over the registry protocol. */
export function repositoryActions(role: NamespaceRole | null): RepositoryAction[] {
  if (role === null) return [];
  return namespaceRoleAllows(role, 'write') ? ['pull', 'push', 'delete'] : ['pull'];
}

/**
 * What the signing keys are derived for (Keyring.derivedKeys): from the root keys, so every
 * process configured with them signs and verifies alike and no key file or row is needed.
 */
export const TOKEN_KEY_PURPOSE = 'registry token signing';

/**
 * A token is signed under the active root key's signing key, or under an older root key's
 * while a rotation is under way (a handful of HMACs at most: one per configured root key).
 */
async function verifyUnderAny(token: string, keys: Uint8Array[], options: JWTVerifyOptions) {
  for (const [i, key] of keys.entries()) {
    try {
      return await jwtVerify(token, key, options);
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed) || i === keys.length - 1) {
        throw error;
      }
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}

export function createRegistryTokens(deps: ServiceDeps, access: AccessService) {
  const { store, clock } = deps;
  const signingKeys = () => deps.keyring.derivedKeys(TOKEN_KEY_PURPOSE);
  const principals = new Map<string, { principal: Principal | null; until: number }>();

  /** The account (and key) a token was issued for, if they are still usable. */
  async function currentPrincipal(uid: string, keyId: string | null): Promise<Principal | null> {
    const id = `${uid}/${keyId ?? ''}`;
    const now = clock();
    const hit = principals.get(id);
    if (hit && hit.until > now) return hit.principal;
    let principal: Principal | null = null;
    if (keyId !== null) {
      const found = await store.apiKeys.findWithOwner(keyId);
      if (
        found &&
        found.key.revokedAt === null &&
        !found.owner.disabled &&
        found.owner.id === uid
      ) {
        principal = userPrincipal(found.owner, found.key);
      }
    } else {
      const user = await store.users.findById(uid);
      // A reset password (must change) voids the tokens its old value bought.
      if (user && !user.disabled && !user.mustChangePassword) principal = userPrincipal(user);
    }
    if (principals.size >= PRINCIPAL_CACHE_MAX) principals.clear();
    principals.set(id, { principal, until: now + PRINCIPAL_CACHE_MS });
    return principal;
  }

  /**
   * The caller's role in a namespace for registry purposes. Deployment admins may also push
   * to a namespace that does not exist yet: the push then creates it (when the operator allows
   * that) or says how to create it; nobody else learns whether it exists.
   */
  async function registryRole(p: Principal, namespace: string): Promise<NamespaceRole | null> {
    const role = await access.namespaceRoleOf(p, namespace);
    if (role !== null) return role;
    if (isAdmin(p, 'write')) return 'manager';
    if (isAdmin(p, 'read')) return 'viewer';
    return null;
  }

  /** Requested ∩ allowed, per resource; resources that get nothing are left out. */
  async function grant(p: Principal, scopes: readonly string[]): Promise<ResourceAccess[]> {
    const wanted = new Map<string, ResourceAccess>();
    for (const text of scopes) {
      const scope = parseScope(text);
      if (!scope) continue;
      const id = `${scope.type}:${scope.name}`;
      const merged = wanted.get(id);
      if (merged) merged.actions = [...new Set([...merged.actions, ...scope.actions])];
      else wanted.set(id, scope);
    }
    const granted: ResourceAccess[] = [];
    for (const scope of wanted.values()) {
      if (scope.type === 'registry' && scope.name === 'catalog') {
        // Anyone may list and search; the answers show only what the caller can see.
        const actions = scope.actions.filter((a) => a === '*' || a === 'search');
        if (actions.length > 0) granted.push({ ...scope, actions });
        continue;
      }
      if (scope.type !== 'repository') continue;
      let namespace: string;
      try {
        namespace = parseRepositoryName(scope.name).namespace;
      } catch {
        continue;
      }
      const allowed = repositoryActions(await registryRole(p, namespace));
      const actions = scope.actions.includes('*')
        ? allowed.length === 3
          ? ['*']
          : allowed
        : scope.actions.filter((a): a is RepositoryAction =>
            allowed.includes(a as RepositoryAction),
          );
      if (actions.length > 0) granted.push({ type: 'repository', name: scope.name, actions });
    }
    return granted;
  }

  return {
    service: REGISTRY_SERVICE,
    registryRole,

    /**
     * A token for `principal` granting what it asked for and may do. Credentialed requests are
     * audited as `registry.login` (failures are audited where the credentials are checked),
     * except on a full disk, where the token is still issued.
     */
    async issue(
      principal: Principal,
      request: {
        service?: string;
        scopes: readonly string[];
        ttlSeconds: number;
        address: string;
        /** The username the client sent, which with an API key may be any name. */
        username?: string;
      },
    ): Promise<IssuedToken> {
      const service = request.service ?? REGISTRY_SERVICE;
      if (service !== REGISTRY_SERVICE) {
        throw new InputError(
          'SERVICE_UNKNOWN',
          `this token service issues tokens for service "${REGISTRY_SERVICE}", not "${service.slice(0, 100)}"`,
        );
      }
      const granted = await grant(principal, request.scopes);
      const now = clock();
      const iat = Math.floor(now / 1000);
      const user = principal.kind === 'user' ? principal : null;
      const token = await new SignJWT({
        access: granted,
        ...(user ? { uid: user.userId, ...(user.key ? { key_id: user.key.id } : {}) } : {}),
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setSubject(user?.username ?? '')
        .setAudience(service)
        .setIssuedAt(iat)
        .setNotBefore(iat - NOT_BEFORE_SKEW_S)
        .setExpirationTime(iat + request.ttlSeconds)
        .setJti(randomUUID())
        .sign(signingKeys()[0]!);
      if (user) {
        // A pull must work on a full disk: the login record is skipped then, not the token.
        await skipWhenFull(deps.logger, 'registry logins', () =>
          store.audit.record(now, {
            actor: actorName(user),
            action: 'registry.login',
            target: user.username,
            outcome: 'success',
            details: {
              address: request.address,
              ...(request.username !== undefined && request.username !== user.username
                ? { username: request.username }
                : {}),
              access: granted.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`),
            },
          }),
        );
      }
      return { token, expiresIn: request.ttlSeconds, issuedAt: iat * 1000, access: granted };
    },

    /** The principal, grants and expiry (epoch ms) of a token this deployment issued, or 401. */
    async verify(
      token: string,
    ): Promise<{ principal: Principal; access: ResourceAccess[]; expiresAt: number }> {
      const invalid = () =>
        new UnauthenticatedError(
          'TOKEN_INVALID',
          'the registry token is invalid or has expired; log in again',
        );
      let claims: z.infer<typeof claimsSchema>;
      let expiresAt: number;
      try {
        const { payload } = await verifyUnderAny(token, signingKeys(), {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: REGISTRY_SERVICE,
          requiredClaims: ['exp', 'nbf', 'iat', 'jti'],
          // The injected clock, so tests can let tokens expire.
          currentDate: new Date(clock()),
        });
        claims = claimsSchema.parse(payload);
        // Required above, so present; a number by the JWT specification, which jose checks.
        expiresAt = (payload.exp ?? 0) * 1000;
      } catch {
        throw invalid();
      }
      if (claims.uid === undefined) {
        return { principal: ANONYMOUS, access: claims.access, expiresAt };
      }
      const principal = await currentPrincipal(claims.uid, claims.key_id ?? null);
      if (!principal) {
        throw new UnauthenticatedError(
          'TOKEN_INVALID',
          'the account or API key this registry token was issued for is disabled or revoked',
        );
      }
      return { principal, access: claims.access, expiresAt };
    },
  };
}

export type RegistryTokens = ReturnType<typeof createRegistryTokens>;
