import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { openSqlite } from '@berth/store';
import { startTestServer } from '../../testing/test-server.js';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { seedSmallRegistry } from '../../testing/fixtures.js';

const ROUNDS = 6;

let dataDir = '';

afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

it('runs each scheduled slot exactly once with two server processes on one database', async () => {
  // Seed with an in-process server, then hand its data directory to two real processes.
  const seeder = await startTestServer();
  dataDir = seeder.dataDir;
  await seedSmallRegistry(seeder);
  for (const namespace of ['team-alpha', 'team-beta']) {
    await seeder
      .api()
      .put(apiPaths.retentionPolicy(namespace))
      .send({
        keepCount: 0,
        retainUntagged: false,
        excludeTags: [],
        excludeRepositories: [],
        enabled: true,
        dailyAt: '04:00',
      })
      .expect(200);
  }
  await seeder.close();

  const handle = await openSqlite(path.join(dataDir, 'berth.db'));
  const db = handle.raw;
  const runs = () =>
    db
      .prepare(
        `SELECT n.name, r.scheduled_for, r.status, r.claimed_by, r.deleted_images
         FROM retention_runs r JOIN namespaces n ON n.id = r.namespace_id ORDER BY r.id`,
      )
      .all() as {
      name: string;
      scheduled_for: number;
      status: string;
      claimed_by: string;
      deleted_images: number;
    }[];
  // Nothing is due until a round makes it so (the seeder's clock put the first slot in the past).
  db.prepare('UPDATE retention_policies SET next_run_at = NULL').run();
  const first = startServerProcess(dataDir);
  const second = startServerProcess(dataDir);
  await until(() => [first, second].every((p) => p.listening()), 'both servers to listen');
  try {
    // Each round makes a new daily slot due at once (a slot value in the past), as if the
    // clock had moved to the policy's time; both processes are ticking every 50 ms.
    for (let round = 1; round <= ROUNDS; round++) {
      db.prepare('UPDATE retention_policies SET next_run_at = ?').run(round);
      await until(
        () =>
          runs().filter((r) => r.scheduled_for === round && r.status === 'succeeded').length === 2,
        `the runs of slot ${round}`,
      );
    }
    // Ten more ticks of each process: nothing else may run.
    await new Promise((r) => setTimeout(r, 500));
    const all = runs();
    expect(all).toHaveLength(2 * ROUNDS);
    for (let round = 1; round <= ROUNDS; round++) {
      expect(
        all
          .filter((r) => r.scheduled_for === round)
          .map((r) => r.name)
          .sort(),
      ).toEqual(['team-alpha', 'team-beta']);
    }
    // The first round deleted every image (keep 0: three in web/app, the index in tools, one
    // in team-beta); later rounds found nothing left.
    expect(
      all
        .filter((r) => r.scheduled_for === 1)
        .map((r) => r.deleted_images)
        .sort(),
    ).toEqual([1, 4]);
    expect(all.filter((r) => r.scheduled_for > 1).every((r) => r.deleted_images === 0)).toBe(true);
    const trashed = db
      .prepare("SELECT count(*) AS n FROM trash_entries WHERE reason = 'retention'")
      .get() as { n: number };
    expect(trashed.n).toBe(5);
    const audited = db
      .prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'retention.run'")
      .get() as { n: number };
    expect(audited.n).toBe(2 * ROUNDS);
    const owners = new Set(all.map((r) => r.claimed_by));
    // Which process wins a slot is a race; report it so a run that never contended shows.
    console.log(
      `scheduled runs by process: ${[...owners].map((o) => `${o}=${all.filter((r) => r.claimed_by === o).length}`).join(', ')}`,
    );
    for (const p of [first, second]) expect(p.log.join('')).not.toMatch(/"level":50/);
  } finally {
    await handle.close();
  }
}, 60_000);
