/**
 * The one place the signed-in session's CSRF token lives outside React, so the API client
 * can send it without every mutation hook reading the session query, and the one channel
 * the client uses to say the session is gone or must change, so the session gate reacts
 * to a 401 from any call, not only from its own.
 */
export type SessionEvent =
  /** 401 UNAUTHENTICATED: no session any more (expired, signed out elsewhere, reset). */
  | 'ended'
  /** 403 PASSWORD_CHANGE_REQUIRED or CSRF_TOKEN_INVALID: the session must be read again. */
  | 'stale';

let csrfToken: string | null = null;
const listeners = new Set<(event: SessionEvent) => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function currentCsrfToken(): string | null {
  return csrfToken;
}

export function emitSessionEvent(event: SessionEvent): void {
  if (event === 'ended') csrfToken = null;
  for (const listener of listeners) listener(event);
}

/** Returns the unsubscribe function, as a React effect's cleanup wants it. */
export function onSessionEvent(listener: (event: SessionEvent) => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
