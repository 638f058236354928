import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../postgres/connect.js';
import type { StoreHandle } from '../store-handle.js';
import { createStore, type Store } from '../store.js';
import {
  type TestDatabase,
  openTestDatabase,
  selectRows,
  testEngines,
} from '../testing/engines.js';
import { RUN_LEASE_MS } from './retention-store.js';

const T0 = Date.UTC(2026, 0, 1);
const ctx = (now = T0) => ({ actor: 'tester', now });

/*
 * Several Berth processes on one PostgreSQL database each ask for the due scheduled runs; a
 * slot must be claimed by exactly one of them (on SQLite one file has one server process).
 */
describe.skipIf(!testEngines().includes('postgres'))('scheduled runs on one PostgreSQL', () => {
  let database: TestDatabase;
  let second: StoreHandle;
  let stores: Store[];

  beforeEach(async () => {
    database = await openTestDatabase('postgres');
    second = await openPostgres(database.url ?? '', { poolSize: 4 });
    stores = [createStore(database.handle.db), createStore(second.db)];
    const [first] = stores;
    await first?.namespaces.ensureRegions(['local'], T0);
    await first?.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, ctx());
    await first?.retention.savePolicy(
      'team',
      {
        rules: {
          keepCount: 2,
          retainUntagged: true,
          excludeTags: [],
          excludeRepositories: [],
          protectUnscannedDays: null,
        },
        enabled: true,
        dailyAt: '03:00',
      },
      ctx(),
    );
  });

  afterEach(async () => {
    await second.close();
    await database.dispose();
  });

  /** Every store asks `times` times at once; the ids each claimed. */
  async function race(now: number, times: number): Promise<number[][]> {
    return Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: times }, (_, k) =>
          store.retention.claimDueRuns(now, `process-${s}-${k}`),
        ),
      ),
    );
  }

  it('two processes racing for a due slot claim it once, and a lapsed claim is taken over once', async () => {
    const due = await selectRows<{ next_run_at: number }>(
      database.handle.db,
      'SELECT next_run_at FROM retention_policies',
    );
    const slot = Number(due[0]?.next_run_at);
    expect(slot).toBeGreaterThan(T0);

    const claims = await race(slot + 1, 4);
    const won = claims.flat();
    expect(won).toHaveLength(1);
    const runs = await selectRows<{ id: number; scheduled_for: number; claimed_by: string }>(
      second.db,
      'SELECT id, scheduled_for, claimed_by FROM retention_runs',
    );
    expect(runs).toHaveLength(1);
    expect(Number(runs[0]?.id)).toBe(won[0]);
    expect(Number(runs[0]?.scheduled_for)).toBe(slot);
    // The winner's name is on the run, whichever process it was.
    const winner = claims.findIndex((c) => c.length === 1);
    expect(runs[0]?.claimed_by).toBe(`process-${Math.floor(winner / 4)}-${winner % 4}`);

    // Nothing more is due before the next slot.
    expect((await race(slot + 2, 2)).flat()).toEqual([]);

    // Its process died: once the lease lapses, exactly one other process takes the run over.
    const lapsed = await race(slot + 1 + RUN_LEASE_MS + 1, 4);
    expect(lapsed.flat()).toEqual(won);
    const after = await selectRows<{ n: number }>(
      database.handle.db,
      'SELECT count(*) AS n FROM retention_runs',
    );
    expect(Number(after[0]?.n)).toBe(1);
  });
});
