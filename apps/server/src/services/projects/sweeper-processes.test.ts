import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { openSqlite } from '@berth/store';
import { startTestServer } from '../../testing/test-server.js';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { createProject, fillProject } from '../../testing/projects.js';

const ROUNDS = 2;
/** Enough that one process's sweep of a round outlasts the gap between the two processes' ticks. */
const PER_ROUND = 100;

let dataDir = '';

afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

it('purges each expired project exactly once with two server processes on one database', async () => {
  // Seed with an in-process server, then hand its data directory to two real processes.
  const seeder = await startTestServer({
    env: { BERTH_PROJECT_LIMIT: String(ROUNDS * PER_ROUND) },
  });
  dataDir = seeder.dataDir;
  const ids: string[] = [];
  for (let i = 0; i < ROUNDS * PER_ROUND; i++) {
    const { id } = await createProject(seeder, `p${i}`, i % 2 === 0 ? 'local' : 'eu-west');
    // Some hold one of everything; the rest are empty, which keeps seeding quick.
    if (i % 10 === 0) await fillProject(seeder, id);
    await seeder.api().delete(apiPaths.project(id)).expect(200);
    ids.push(id);
  }
  await seeder.close();

  const handle = await openSqlite(path.join(dataDir, 'berth.db'));
  const db = handle.raw;
  // Nothing is due until a round makes it so (the seeder's fixed clock may lie in the past).
  db.prepare('UPDATE projects SET purge_at = ?').run(Date.now() + 365 * 86_400_000);
  const remaining = () =>
    (db.prepare('SELECT id FROM projects').all() as { id: string }[]).map((r) => r.id);
  const first = startServerProcess(dataDir);
  const second = startServerProcess(dataDir);
  await until(() => [first, second].every((p) => p.listening()), 'both servers to listen');
  try {
    // Each round makes 100 due at once (a purge time in the past), while both processes
    // sweep every 50 ms.
    for (let round = 0; round < ROUNDS; round++) {
      const due = ids.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
      // This loop polls at the processes' own cadence; a random pause lets either sweep first.
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      db.prepare(
        `UPDATE projects SET purge_at = ? WHERE id IN (${due.map(() => '?').join(',')})`,
      ).run(round + 1, ...due);
      await until(
        () => due.every((id) => !remaining().includes(id)),
        `the purges of round ${round + 1}`,
      );
    }
    // Ten more sweeps of each process: nothing else may happen.
    await new Promise((r) => setTimeout(r, 500));
    expect(remaining()).toEqual([]);
    for (const table of ['project_workloads', 'project_secrets', 'project_config_maps']) {
      const left = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
      expect(left.n, table).toBe(0);
    }
    const purges = db
      .prepare(
        "SELECT target, actor, count(*) AS n FROM audit_events WHERE action = 'project.purge' GROUP BY target, actor ORDER BY target",
      )
      .all();
    expect(purges).toEqual(
      [...ids].sort().map((target) => ({ target, actor: 'system:project-sweeper', n: 1 })),
    );
    // Which process purges a project is a race; report it so a run that never contended shows.
    const byProcess = [first, second].map(
      (p) =>
        p.log
          .join('')
          .split('\n')
          .filter((l) => l.includes('project purged')).length,
    );
    console.log(`projects purged by process: ${byProcess.join(', ')}`);
    expect(byProcess.reduce((a, b) => a + b, 0)).toBe(ids.length);
    for (const p of [first, second]) expect(p.log.join('')).not.toMatch(/"level":50/);
  } finally {
    await handle.close();
  }
}, 60_000);
