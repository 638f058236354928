import type { Request } from 'express';
import {
  ANONYMOUS,
  type NamespaceRole,
  NotFoundError,
  type Principal,
  UnauthenticatedError,
  namespaceRoleAllows,
} from '@berth/domain';
import { REGISTRY_TOKEN_PATH } from '@berth/contract';
import type { Services } from '../services/index.js';
import { addressOf, setAuth } from '../api/request-auth.js';
import { parseApiKey } from '../services/identity/tokens.js';
import {
  REGISTRY_SERVICE,
  type RepositoryAction,
  type ResourceAccess,
  grants,
  repositoryActions,
} from '../services/identity/registry-tokens.js';
import { parseRepositoryName, type RepositoryName } from '../services/registry/repository-name.js';
import { OciError } from './errors.js';
import { type AuthDecision, createAuthDecisions } from './auth-decisions.js';
import { parseBasic } from './basic-auth.js';
import { query } from './http.js';

/**
 * What a /v2 route needs, declared beside it in the route table:
 * - `signed-in`: any credential that holds (a user, an API key, or a token from /auth/token,
 *   even an anonymous one). `GET /v2/` answers anonymous callers with the challenge, as Docker
 *   Hub does: that is how clients learn where to log in.
 * - `catalog`: the same, and a token must carry `registry:catalog:*`; the listing is filtered.
 * - `search`: the same with `registry:catalog:search` (what Docker asks for to search).
 * - `repository`: an action on the repository named by the path.
 */
export type RegistryNeed =
  | { kind: 'signed-in' }
  | { kind: 'catalog' }
  | { kind: 'search' }
  | {
      kind: 'repository';
      action: RepositoryAction;
      /** Starting an upload: with `?mount=&from=`, a token should also grant pull on `from`. */
      mount?: boolean;
    };

export const NEEDS = {
  signedIn: { kind: 'signed-in' },
  catalog: { kind: 'catalog' },
  search: { kind: 'search' },
  pull: { kind: 'repository', action: 'pull' },
  push: { kind: 'repository', action: 'push' },
  pushOrMount: { kind: 'repository', action: 'push', mount: true },
  delete: { kind: 'repository', action: 'delete' },
} as const satisfies Record<string, RegistryNeed>;

/** Who is calling /v2, for handlers that must check a second repository (mount's `from`). */
export interface RegistryCaller {
  principal: Principal;
  mayPull(repository: string): Promise<boolean>;
}

interface Credential {
  principal: Principal;
  /** A registry token's grants, a ceiling on the principal's rights; null without a token. */
  token: ResourceAccess[] | null;
  /** Whether the request carried a credential at all (an anonymous token counts). */
  presented: boolean;
}

const callers = new WeakMap<Request, RegistryCaller>();

export function registryCallerOf(req: Request): RegistryCaller {
  const caller = callers.get(req);
  if (!caller) throw new Error('registryCallerOf: the request was not authorized first');
  return caller;
}

/** The `registry:catalog:<action>` a token needs to list, and to search. */
const CATALOG_ACTION = { catalog: '*', search: 'search' } as const;

/** Spec scopes: pushing needs pull too (clients HEAD blobs first), as Distribution asks. */
const SCOPE_ACTIONS: Record<RepositoryAction, string> = {
  pull: 'pull',
  push: 'pull,push',
  delete: 'delete',
};

function repositoryScope(name: RepositoryName, action: RepositoryAction): string {
  return `repository:${name.full}:${SCOPE_ACTIONS[action]}`;
}

/** The Host as the client sent it, if it is a plain host[:port] (it goes into a header). */
function realmHost(req: Request): string {
  const host = req.host;
  return host && /^[A-Za-z0-9.\-:[\]]{1,262}$/.test(host) ? host : 'localhost';
}

/**
 * The challenge of the token specification. The realm is built from the request, so it points
 * wherever the client reached this server; behind a proxy, `req.protocol` and `req.host` follow
 * X-Forwarded-Proto/-Host only when BERTH_TRUST_PROXY trusts that proxy.
 */
function challenge(
  req: Request,
  scope?: string,
  error?: 'invalid_token' | 'insufficient_scope',
): string {
  const params = [
    `realm="${req.protocol}://${realmHost(req)}${REGISTRY_TOKEN_PATH}"`,
    `service="${REGISTRY_SERVICE}"`,
    ...(scope ? [`scope="${scope}"`] : []),
    ...(error ? [`error="${error}"`] : []),
  ];
  return `Bearer ${params.join(',')}`;
}

/** The `from` repository of `POST …/blobs/uploads/?mount=<digest>&from=<name>`, if valid. */
function mountSource(req: Request): RepositoryName | null {
  const mount = query(req, 'mount');
  const from = query(req, 'from');
  if (mount === undefined || from === undefined) return null;
  try {
    return parseRepositoryName(from);
  } catch {
    return null;
  }
}

function who(p: Principal): string {
  if (p.kind !== 'user') return 'anonymous';
  return p.key ? `API key "${p.key.name}" of ${p.username}` : p.username;
}

const ANONYMOUS_CREDENTIAL: Credential = { principal: ANONYMOUS, token: null, presented: false };

export function registryAuth({ identity, registryTokens, clock }: Services) {
  const decisions = createAuthDecisions<Credential>(clock);
  const unauthorized = (
    req: Request,
    message: string,
    scope?: string,
    error?: 'invalid_token' | 'insufficient_scope',
  ) =>
    new OciError('UNAUTHORIZED', message, 401, undefined, {
      'WWW-Authenticate': challenge(req, scope, error),
    });

  /** Credentials as the token specification and plain clients send them. */
  async function authenticate(req: Request, scope?: string): Promise<AuthDecision<Credential>> {
    const header = req.headers.authorization ?? '';
    const known = decisions.get(header);
    if (known) return known;
    if (!header) return decisions.remember('', ANONYMOUS_CREDENTIAL);
    const space = header.indexOf(' ');
    const scheme = space > 0 ? header.slice(0, space).toLowerCase() : '';
    const value = space > 0 ? header.slice(space + 1).trim() : '';
    try {
      if (scheme === 'bearer' && value) {
        // A raw API key works too, for CI and scripts that skip the token dance.
        if (parseApiKey(value)) {
          const principal = await identity.authenticateBearer(value, addressOf(req));
          return decisions.remember(header, { principal, token: null, presented: true });
        }
        const verified = await registryTokens.verify(value);
        return decisions.remember(
          header,
          { principal: verified.principal, token: verified.access, presented: true },
          verified.expiresAt,
        );
      }
      const basic = scheme === 'basic' && value ? parseBasic(value) : null;
      if (basic) {
        const principal = await identity.authenticateCredentials(
          basic.username,
          basic.password,
          addressOf(req),
        );
        return decisions.remember(header, { principal, token: null, presented: true });
      }
    } catch (err) {
      if (err instanceof UnauthenticatedError) {
        throw unauthorized(
          req,
          err.message,
          scope,
          scheme === 'bearer' ? 'invalid_token' : undefined,
        );
      }
      throw err;
    }
    throw unauthorized(
      req,
      'send "Authorization: Bearer <token or API key>" or "Basic <username:password>"',
      scope,
    );
  }

  /** The caller's registry role in a namespace, looked up once per cached decision. */
  async function roleIn(
    decision: AuthDecision<Credential>,
    namespace: string,
  ): Promise<NamespaceRole | null> {
    const known = decision.roles.get(namespace);
    if (known !== undefined) return known;
    const role = await registryTokens.registryRole(decision.credential.principal, namespace);
    decisions.rememberRole(decision, namespace, role);
    return role;
  }

  function callerFor(decision: AuthDecision<Credential>): RegistryCaller {
    const cred = decision.credential;
    return {
      principal: cred.principal,
      async mayPull(repository) {
        let name: RepositoryName;
        try {
          name = parseRepositoryName(repository);
        } catch {
          return false;
        }
        const role = await roleIn(decision, name.namespace);
        if (!repositoryActions(role).includes('pull')) return false;
        return cred.token === null || grants(cred.token, 'repository', name.full, 'pull');
      },
    };
  }

  /**
   * Refusals follow what clients handle:
   * - anonymous: 401 with the challenge, so the client logs in (or, without credentials,
   *   reports "authentication required"), whether the namespace is private or missing;
   * - an account that cannot see the namespace: 404 NAME_UNKNOWN, worded and answered exactly
   *   like a namespace that does not exist, so names do not leak (the /api does the same).
   *   A 401 would send the client back to log in with credentials that are fine (Docker says
   *   "may require 'docker login'"); skopeo prints "name unknown: …" with our message;
   * - an account that can see it but lacks the role (or a read-only key): 403 DENIED, which
   *   clients print as "denied: …";
   * - a token from /auth/token without this scope while the account does have the right:
   *   401 `insufficient_scope` with the scope to ask for, as the specification says.
   */
  async function authorizeRepository(
    req: Request,
    decision: AuthDecision<Credential>,
    name: RepositoryName,
    action: RepositoryAction,
    scope = repositoryScope(name, action),
  ): Promise<void> {
    const cred = decision.credential;
    const p = cred.principal;
    const role: NamespaceRole | null = await roleIn(decision, name.namespace);
    if (!repositoryActions(role).includes(action)) {
      if (p.kind === 'anonymous') {
        throw unauthorized(req, `authentication required to ${action} ${name.full}`, scope);
      }
      if (role === null) {
        throw new OciError(
          'NAME_UNKNOWN',
          `namespace "${name.namespace}" does not exist, or ${who(p)} has no access to it`,
          404,
        );
      }
      const reason =
        p.kind === 'user' && p.key?.access === 'read-only' && namespaceRoleAllows(role, 'read')
          ? `${who(p)} is read-only`
          : `${who(p)} has the ${role} role in namespace "${name.namespace}", and ${action} needs writer`;
      throw new OciError('DENIED', `${action} of ${name.full} refused: ${reason}`, 403);
    }
    if (cred.token && !grants(cred.token, 'repository', name.full, action)) {
      throw unauthorized(
        req,
        `the registry token does not grant ${action} on ${name.full}; request a token with scope ${scope}`,
        scope,
        'insufficient_scope',
      );
    }
  }

  return {
    /**
     * Authenticates the request and checks it may do what the route needs; records the caller
     * for audit entries (`actorOf`) and for `registryCallerOf`. Malformed repository names are a
     * 400 for everyone: the grammar is public. Names the grammar allows but Berth cannot hold
     * are a 404 NAME_UNKNOWN after authentication.
     */
    async authorize(req: Request, need: RegistryNeed, repository = ''): Promise<RegistryCaller> {
      let name: RepositoryName | null = null;
      // A name Berth cannot hold (no namespace) is a 404, but only once the credentials
      // have been checked: a wrong password must still hear that it is wrong.
      let cannotExist: NotFoundError | null = null;
      if (need.kind === 'repository') {
        try {
          name = parseRepositoryName(repository);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          cannotExist = err;
        }
      }
      const scope =
        need.kind === 'repository'
          ? name
            ? repositoryScope(name, need.action)
            : `repository:${repository}:${SCOPE_ACTIONS[need.action]}`
          : need.kind === 'catalog' || need.kind === 'search'
            ? `registry:catalog:${CATALOG_ACTION[need.kind]}`
            : undefined;
      const from = need.kind === 'repository' && need.mount && name ? mountSource(req) : null;
      // As Distribution does: the challenge of a mount asks for pull on the source as well,
      // so a client that follows it gets a token that lets the mount happen.
      const challengeScope = from && scope ? `${scope} ${repositoryScope(from, 'pull')}` : scope;
      const decision = await authenticate(req, challengeScope);
      const cred = decision.credential;
      setAuth(req, { principal: cred.principal, session: null });
      const caller = callerFor(decision);
      callers.set(req, caller);
      if (cannotExist) throw cannotExist;
      if (need.kind === 'repository' && name) {
        await authorizeRepository(req, decision, name, need.action, challengeScope);
        if (from && cred.token && !grants(cred.token, 'repository', from.full, 'pull')) {
          // Only when the account may pull from the source: otherwise the mount quietly
          // becomes an ordinary upload, and the source's existence stays unrevealed.
          const role = await roleIn(decision, from.namespace);
          if (repositoryActions(role).includes('pull')) {
            throw unauthorized(
              req,
              `the registry token does not grant pull on ${from.full}, which the mount reads from; request a token with scope ${challengeScope ?? ''}`,
              challengeScope,
              'insufficient_scope',
            );
          }
        }
      } else {
        if (!cred.presented) {
          throw unauthorized(
            req,
            'authentication required: log in with your username and password or an API key',
            scope,
          );
        }
        if (
          (need.kind === 'catalog' || need.kind === 'search') &&
          cred.token &&
          !grants(cred.token, 'registry', 'catalog', CATALOG_ACTION[need.kind])
        ) {
          throw unauthorized(
            req,
            `the registry token does not grant ${scope ?? ''}`,
            scope,
            'insufficient_scope',
          );
        }
      }
      return caller;
    },
  };
}

export type RegistryAuth = ReturnType<typeof registryAuth>;
