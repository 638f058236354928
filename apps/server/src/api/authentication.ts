import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { ForbiddenError, UnauthenticatedError } from '@berth/domain';
import type { Services } from '../services/index.js';
import { addressOf, hasSession, principalOf, sessionOf, setAuth } from './request-auth.js';
import { sameText } from '../services/identity/tokens.js';

export const CSRF_HEADER = 'x-csrf-token';

/** `__Host-` pins the cookie to this origin over HTTPS (no Domain, Path=/, Secure). */
export function sessionCookieName(tls: boolean): string {
  return tls ? '__Host-berth_session' : 'berth_session';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Finds who is calling: an API key as `Authorization: Bearer`, or the session cookie. An
 * unusable key is refused at once; a stale cookie just leaves the caller anonymous.
 */
export function authenticate(services: Services, tls: boolean): RequestHandler {
  const cookieName = sessionCookieName(tls);
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header) {
      const [scheme, value] = header.split(' ', 2);
      if (scheme?.toLowerCase() !== 'bearer' || !value) {
        throw new UnauthenticatedError(
          'UNAUTHENTICATED',
          'the API takes an API key as "Authorization: Bearer <key>", or the console session',
        );
      }
      const principal = await services.identity.authenticateBearer(value.trim(), addressOf(req));
      setAuth(req, { principal, session: null });
      return next();
    }
    const token = req.headers.cookie ? parseCookies(req.headers.cookie)[cookieName] : undefined;
    if (token) {
      const session = await services.identity.resolveSession(token);
      if (session) setAuth(req, { principal: session.principal, session });
      else res.clearCookie(cookieName, { path: '/' });
    }
    next();
  };
}

/**
 * Synchronizer token: a cookie rides along with any cross-site request, the header does not.
 * Requests with an API key carry no ambient credential and need none.
 */
export function checkCsrf(req: Request): void {
  if (SAFE_METHODS.has(req.method) || !hasSession(req)) return;
  const sent = req.get(CSRF_HEADER);
  if (!sent || !sameText(sent, sessionOf(req).csrfToken)) {
    throw new ForbiddenError(
      'CSRF_TOKEN_INVALID',
      `this change needs the ${CSRF_HEADER} header from GET /api/v1/session`,
    );
  }
}

/** Every route after this one needs a signed-in caller with a usable password. */
export function requireSignedIn(req: Request, _res: Response, next: NextFunction): void {
  if (principalOf(req).kind === 'anonymous') {
    throw new UnauthenticatedError(
      'UNAUTHENTICATED',
      'sign in, or send an API key as a Bearer token',
    );
  }
  checkCsrf(req);
  if (hasSession(req) && sessionOf(req).mustChangePassword) {
    throw new ForbiddenError(
      'PASSWORD_CHANGE_REQUIRED',
      'this password is temporary: change it (POST /api/v1/session/password) before anything else',
    );
  }
  next();
}
