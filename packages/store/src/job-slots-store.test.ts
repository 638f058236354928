import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres } from './postgres/connect.js';
import { createJobSlotsStore } from './job-slots-store.js';
import { type TestDatabase, openTestDatabase, testEngines } from './testing/engines.js';

const DAY = 86_400_000;
let database: TestDatabase;
afterEach(() => database.dispose());

describe.each(testEngines())('job slots on %s', (engine) => {
  it('gives each (job, slot) to one claimant, and forgets old slots', async () => {
    database = await openTestDatabase(engine);
    const slots = createJobSlotsStore(database.handle.db);
    expect(await slots.claim('gc', 7, 'a', 1_000)).toBe(true);
    expect(await slots.claim('gc', 7, 'b', 1_001)).toBe(false);
    expect(await slots.claim('gc', 8, 'b', 1_002)).toBe(true);
    expect(await slots.claim('other', 7, 'b', 1_003)).toBe(true);
    // A week on, claiming forgets the old rows (the slot numbers only grow).
    expect(await slots.claim('gc', 9, 'c', 1_000 + 8 * DAY)).toBe(true);
    const left = await database.handle.db.selectFrom('job_slots').select('slot').execute();
    expect(left.map((r) => Number(r.slot))).toEqual([9]);
  });
});

describe.skipIf(!testEngines().includes('postgres'))('job slots across processes', () => {
  it('of many processes claiming one slot at once, exactly one wins', async () => {
    database = await openTestDatabase('postgres');
    const handles = await Promise.all([1, 2, 3].map(() => openPostgres(database.url!)));
    try {
      const wins = await Promise.all(
        handles.flatMap((h, i) =>
          [0, 1, 2].map(() => createJobSlotsStore(h.db).claim('gc', 42, `p${i}`, 5_000)),
        ),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});
