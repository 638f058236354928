import type { Request } from 'express';
import { ANONYMOUS, type Principal, UnauthenticatedError, actorName } from '@berth/domain';
import type { SessionContext } from '../services/identity/identity-service.js';

interface RequestAuth {
  principal: Principal;
  /** Set when the request came with a session cookie (not an API key). */
  session: SessionContext | null;
}

/** Who made each request, set once by the authentication middleware. */
const auth = new WeakMap<Request, RequestAuth>();

export function setAuth(req: Request, value: RequestAuth): void {
  auth.set(req, value);
}

export function principalOf(req: Request): Principal {
  return auth.get(req)?.principal ?? ANONYMOUS;
}

export function sessionOf(req: Request): SessionContext {
  const session = auth.get(req)?.session;
  if (!session) throw new UnauthenticatedError('UNAUTHENTICATED', 'sign in to the console first');
  return session;
}

export function hasSession(req: Request): boolean {
  return Boolean(auth.get(req)?.session);
}

/** The audit log's name for the caller: user:<name>, key:<user>/<key>, or anonymous. */
export function actorOf(req: Request): string {
  return actorName(principalOf(req));
}

/** The client address throttling counts against (X-Forwarded-For only behind a trusted proxy). */
export function addressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
