import { RateLimitedError } from '@berth/domain';
import type { SignInFailuresStore } from '@berth/store';

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
 * would still tell an attacker when a guess is right. The failures are kept in the database,
 * so every Berth process on it counts the same ones: with several processes behind a load
 * balancer, an attacker gets the allowance once, not once per process.
 */
export function createThrottle(
  limits: ThrottleLimits,
  clock: () => number,
  failures: SignInFailuresStore,
) {
  const keys = (account: string | null, address: string) => [
    ...(account ? [{ key: `account:${account.toLowerCase()}`, limit: limits.perAccount }] : []),
    { key: `address:${address}`, limit: limits.perAddress },
  ];
  return {
    /**
     * Throws when the account or the address is locked out. Otherwise says whether the
     * account has failures a success should clear: most sign-ins have none, and then nothing
     * is written (a write would wait behind bulk work on SQLite's single writer).
     */
    async check(account: string | null, address: string): Promise<{ accountFailed: boolean }> {
      const now = clock();
      const watched = keys(account, address);
      const recent = await failures.recent(
        watched.map((w) => w.key),
        now - limits.windowMs,
      );
      for (const { key, limit } of watched) {
        const times = recent.get(key) ?? [];
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
      return { accountFailed: account !== null && (recent.get(watched[0]!.key)?.length ?? 0) > 0 };
    },
    async fail(account: string | null, address: string): Promise<void> {
      const now = clock();
      await failures.record(
        keys(account, address).map((k) => k.key),
        now,
        now - limits.windowMs,
      );
    },
    /** A success clears the account's count; the address keeps its history. */
    async succeed(account: string): Promise<void> {
      await failures.clear(`account:${account.toLowerCase()}`);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
