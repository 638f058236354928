import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { openSqlite } from '@berth/store';
import { startTestServer } from '../../testing/test-server.js';
import { seedSmallRegistry } from '../../testing/fixtures.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/main.js');
const ROUNDS = 6;

const children: ChildProcess[] = [];
let dataDir = '';

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function startProcess(dir: string): { child: ChildProcess; log: string[] } {
  const log: string[] = [];
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      BERTH_DATA_DIR: dir,
      BERTH_PORT: '0',
      BERTH_HOST: '127.0.0.1',
      BERTH_DEMO: '0',
      BERTH_LOG_LEVEL: 'info',
      BERTH_SCHEDULER_INTERVAL_MS: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  children.push(child);
  return { child, log };
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('runs each scheduled slot exactly once with two server processes on one database', async () => {
  expect(fs.existsSync(MAIN), `${MAIN} is missing: build the server first`).toBe(true);
  // Seed with an in-process server, then hand its data directory to two real processes.
  const seeder = await startTestServer();
  dataDir = seeder.dataDir;
  await seedSmallRegistry(seeder);
  for (const namespace of ['team-alpha', 'team-beta']) {
    await request(seeder.url)
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
  const first = startProcess(dataDir);
  const second = startProcess(dataDir);
  await until(
    () => [first, second].every((p) => p.log.join('').includes('"msg":"listening"')),
    'both servers to listen',
  );
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
