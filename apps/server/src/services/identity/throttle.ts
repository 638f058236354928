import { RateLimitedError } from '@berth/domain';

export interface ThrottleLimits {
  /** Failures allowed per account within the window. */
  perAccount: number;
  /** Failures allowed per client address within the window (many accounts, one attacker). */
  perAddress: number;
  windowMs: number;
}

/**
 * Failed sign-ins (console, registry Basic auth, token requests) counted per account and per
 * address in a sliding window. Once a key reaches its limit every attempt on it is refused,
 * right password or not, until the oldest failure leaves the window: otherwise the throttle
 * would still tell an attacker when a guess is right. Counts live in this process: with
 * several processes each throttles on its own, which multiplies the allowance by their count.
 */
export function createThrottle(limits: ThrottleLimits, clock: () => number) {
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => {
    const kept = (failures.get(key) ?? []).filter((t) => t > now - limits.windowMs);
    if (kept.length) failures.set(key, kept);
    else failures.delete(key);
    return kept;
  };
  const keys = (account: string | null, address: string) => [
    ...(account ? [{ key: `account:${account.toLowerCase()}`, limit: limits.perAccount }] : []),
    { key: `address:${address}`, limit: limits.perAddress },
  ];
  return {
    /** Throws when the account or the address is locked out. */
    check(account: string | null, address: string): void {
      const now = clock();
      for (const { key, limit } of keys(account, address)) {
        const times = recent(key, now);
        if (times.length >= limit) {
          const retry = Math.max(
            1,
            Math.ceil((times[times.length - limit]! + limits.windowMs - now) / 1000),
          );
          throw new RateLimitedError(
            `too many failed sign-ins; try again in ${retry} seconds`,
            retry,
          );
        }
      }
    },
    fail(account: string | null, address: string): void {
      const now = clock();
      for (const { key } of keys(account, address)) failures.set(key, [...recent(key, now), now]);
      // A flood of distinct keys must not grow memory without bound.
      if (failures.size > 100_000) {
        for (const key of failures.keys()) {
          recent(key, now);
          if (failures.size <= 50_000) break;
        }
      }
    },
    /** A success clears the account's count; the address keeps its history. */
    succeed(account: string): void {
      failures.delete(`account:${account.toLowerCase()}`);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
