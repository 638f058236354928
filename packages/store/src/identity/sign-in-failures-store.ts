import type { Db } from '../database.js';
import { listOf } from '../sql-lists.js';

/** Failed sign-ins per throttle key, shared by every process on the database. */
export function createSignInFailuresStore(db: Db) {
  return {
    /** The times of each key's failures since `since`, oldest first. */
    async recent(keys: readonly string[], since: number): Promise<Map<string, number[]>> {
      const rows = await db
        .selectFrom('sign_in_failures')
        .select(['key', 'at'])
        .where('key', 'in', listOf(db, keys, 'text'))
        .where('at', '>', since)
        .orderBy('key')
        .orderBy('at')
        .execute();
      const times = new Map<string, number[]>(keys.map((k) => [k, []]));
      for (const row of rows) times.get(row.key)?.push(Number(row.at));
      return times;
    },

    /**
     * A failure for each key at `at`; failures from before `forgetBefore` (out of every
     * throttle window) go at the same time, so the table holds one window's worth.
     */
    async record(keys: readonly string[], at: number, forgetBefore: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('sign_in_failures').where('at', '<', forgetBefore).execute();
        await trx
          .insertInto('sign_in_failures')
          .values(keys.map((key) => ({ key, at })))
          .execute();
      });
    },

    /** Forgets a key's failures (a successful sign-in clears its account's count). */
    async clear(key: string): Promise<void> {
      await db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
    },
  };
}

export type SignInFailuresStore = ReturnType<typeof createSignInFailuresStore>;
