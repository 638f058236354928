import express, { type NextFunction, type Request, type Response, Router } from 'express';
import {
  ANONYMOUS,
  BerthError,
  ForbiddenError,
  type Principal,
  RateLimitedError,
  StorageFullError,
  UnauthenticatedError,
} from '@berth/domain';
import { registryToken } from '@berth/contract';
import type { Services } from '../services/index.js';
import { addressOf } from '../api/request-auth.js';
import { send } from '../api/respond.js';
import { HTTP_STATUS } from '../api/error-middleware.js';
import { type BasicCredentials, parseBasic } from './basic-auth.js';
import { parseApiKey } from '../services/identity/tokens.js';

/** Every value of a repeatable query parameter; OAuth2's space-separated lists split too. */
function all(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(' '))
    .filter(Boolean)
    .slice(0, 100);
}

function first(value: unknown): string | undefined {
  return all(value)[0];
}

function basicCredentials(req: Request): BasicCredentials | null {
  const header = req.get('authorization');
  if (!header || !/^basic /i.test(header)) return null;
  return parseBasic(header.slice(6).trim());
}

/**
 * Errors in Berth's JSON shape, plus the `details` string that Docker's and containers/image's
 * token clients print ("unable to retrieve auth token: invalid username/password:
 * unauthorized: <details>"), and the registry's `errors` list for other clients. A temporary
 * password is a 401 here, not a 403: clients report other statuses of a token request without
 * the message. podman and buildah `login` print neither: containers/common replaces any 401
 * of the token request with "invalid username/password" (the reason is in --log-level=debug).
 */
function sendError(res: Response, err: unknown, next: NextFunction): void {
  // A full disk is answered (507) and logged by the one error middleware.
  if (!(err instanceof BerthError) || err instanceof StorageFullError) return next(err);
  let status = HTTP_STATUS[err.kind];
  if (err instanceof ForbiddenError && err.code === 'PASSWORD_CHANGE_REQUIRED') status = 401;
  if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfterSeconds));
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="Berth registry token service"');
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({
      error: { code: err.code, message: err.message },
      errors: [{ code: status === 401 ? 'UNAUTHORIZED' : err.code, message: err.message }],
      details: err.message,
    });
}

/**
 * `GET /auth/token`, the realm of the registry's challenge (Docker token specification), and
 * its OAuth2 flavour `POST /auth/token` with `grant_type=password`. Credentials are optional:
 * without them the token is anonymous and grants pull on public namespaces only. Bad ones are
 * a 401, throttled and audited by the identity service like any failed sign-in.
 */
export function tokenEndpoint(
  { identity, registryTokens }: Services,
  opts: { ttlSeconds: number },
): Router {
  const r = Router();

  async function principalFrom(
    req: Request,
    credentials: { username: string; password: string } | null,
  ): Promise<Principal> {
    if (credentials) {
      return identity.authenticateCredentials(
        credentials.username,
        credentials.password,
        addressOf(req),
      );
    }
    const header = req.get('authorization');
    if (!header) return ANONYMOUS;
    const bearer = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    // A raw API key as Bearer, as /v2 takes it.
    if (parseApiKey(bearer)) return identity.authenticateBearer(bearer, addressOf(req));
    throw new UnauthenticatedError(
      'UNAUTHENTICATED',
      'the token service takes "Authorization: Basic <username:password or API key>"',
    );
  }

  async function issue(
    req: Request,
    principal: Principal,
    service: string | undefined,
    scopes: string[],
    username: string | undefined,
  ) {
    return registryTokens.issue(principal, {
      ...(service !== undefined ? { service } : {}),
      ...(username !== undefined ? { username } : {}),
      scopes,
      ttlSeconds: opts.ttlSeconds,
      address: addressOf(req),
    });
  }

  r.get('/', async (req, res, next) => {
    try {
      // `account` only names who the client believes it is; the credentials decide.
      const credentials = basicCredentials(req);
      const principal = await principalFrom(req, credentials);
      const issued = await issue(
        req,
        principal,
        first(req.query.service),
        all(req.query.scope),
        credentials?.username,
      );
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      send(res, registryToken, {
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: new Date(issued.issuedAt).toISOString(),
      });
    } catch (err) {
      sendError(res, err, next);
    }
  });

  r.post('/', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const grantType = first(body.grant_type);
      if (grantType !== 'password') {
        // Only the password grant: Berth hands out no refresh tokens to redeem.
        res.status(400).set('Cache-Control', 'no-store').json({
          error: 'unsupported_grant_type',
          error_description: 'this token service takes grant_type=password',
        });
        return;
      }
      const username = first(body.username);
      const password = typeof body.password === 'string' ? body.password : undefined;
      const credentials =
        username !== undefined && password !== undefined
          ? { username, password }
          : basicCredentials(req);
      const principal = await principalFrom(req, credentials);
      const scopes = all(body.scope);
      const issued = await issue(
        req,
        principal,
        first(body.service),
        scopes,
        credentials?.username,
      );
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      res.json({
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: new Date(issued.issuedAt).toISOString(),
        scope: issued.access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
      });
    } catch (err) {
      sendError(res, err, next);
    }
  });

  return r;
}
