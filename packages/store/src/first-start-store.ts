import type { Db } from './database.js';

/** Whether the first start of this database finished (see migration 0007). */
export function createFirstStartStore(db: Db) {
  return {
    async completed(): Promise<boolean> {
      const row = await db.selectFrom('first_start').select('id').executeTakeFirst();
      return row !== undefined;
    },
    /** The last step of a first start: from now on a start is an ordinary restart. */
    async complete(now: number): Promise<void> {
      await db
        .insertInto('first_start')
        .values({ id: 1, completed_at: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
  };
}
