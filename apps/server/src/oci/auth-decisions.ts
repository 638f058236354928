import { hash } from 'node:crypto';
import type { NamespaceRole } from '@berth/domain';

/**
 * How long /v2 trusts what it found out about a credential: that it holds (an API key, a
 * password, a registry token), and the caller's role in each namespace it touched. Revoking
 * a key, disabling a user, changing a password or removing a role therefore takes effect on
 * /v2 within this long in every server process (a registry token's account is also looked up
 * again at most every PRINCIPAL_CACHE_MS, so a token can outlive its key by both). Checking
 * both on every request was most of a manifest HEAD's server time: an API key lookup, a role
 * lookup and, for a token, an HS256 verification, for a client that sends the same header
 * thousands of times a second.
 */
export const REGISTRY_AUTH_CACHE_MS = 1_000;
/** Past this many live entries the cache starts over: a flood of new headers cannot grow it. */
const MAX_ENTRIES = 10_000;

export interface AuthDecision<C> {
  credential: C;
  until: number;
  /** The caller's role per namespace, as found while this entry lives. */
  roles: Map<string, NamespaceRole | null>;
}

/** Namespaces remembered per entry: a caller touching endless names starts over. */
const MAX_ROLES = 1_000;

/**
 * Successful checks only, keyed by a hash of the Authorization header (so no secret is kept
 * as a key); a failure is never remembered, so a wrong credential is checked (and throttled)
 * every time.
 */
export function createAuthDecisions<C>(clock: () => number) {
  const entries = new Map<string, AuthDecision<C>>();
  const keyOf = (header: string) => hash('sha256', header, 'base64');

  return {
    /** What is known about a header's caller, while it is trusted. */
    get(header: string): AuthDecision<C> | undefined {
      const key = keyOf(header);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.until > clock()) return entry;
      entries.delete(key);
      return undefined;
    },

    /** Trusts `credential` for `header` until the bound, or `expiresAt` if that comes first. */
    remember(header: string, credential: C, expiresAt = Infinity): AuthDecision<C> {
      const now = clock();
      const entry = {
        credential,
        until: Math.min(now + REGISTRY_AUTH_CACHE_MS, expiresAt),
        roles: new Map<string, NamespaceRole | null>(),
      };
      if (entry.until <= now) return entry;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(keyOf(header), entry);
      return entry;
    },

    rememberRole(entry: AuthDecision<C>, namespace: string, role: NamespaceRole | null): void {
      if (entry.roles.size >= MAX_ROLES) entry.roles.clear();
      entry.roles.set(namespace, role);
    },
  };
}
