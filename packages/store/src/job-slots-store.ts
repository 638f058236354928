import type { Db } from './database.js';

/** Claimed slots are kept this long, then forgotten (a slot is never claimed again later). */
const KEEP_MS = 7 * 86_400_000;

/** "Run this period's job once across processes": see migrations/0020-job-slots.ts. */
export function createJobSlotsStore(db: Db) {
  return {
    /** True for exactly one caller per (job, slot), whichever process it is in. */
    async claim(job: string, slot: number, owner: string, now: number): Promise<boolean> {
      const inserted = await db
        .insertInto('job_slots')
        .values({ job, slot, claimed_by: owner, claimed_at: now })
        .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await db
        .deleteFrom('job_slots')
        .where('claimed_at', '<', now - KEEP_MS)
        .execute();
      return true;
    },
  };
}

export type JobSlotsStore = ReturnType<typeof createJobSlotsStore>;
