import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { operation as operationSchema, operationAccepted } from '@berth/contract';
import { counterMismatches, openSqlite } from '@berth/store';
import { startTestServer } from '../../testing/test-server.js';
import { startServerProcess, stopServerProcesses, until } from '../../testing/server-processes.js';
import { buildImage, buildLayer } from '../../seed/oci-content.js';
import { createImageIngester } from '../../seed/ingest-image.js';

const IMAGES = 300;
let dataDir = '';

afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function call(url: string, key: string, method = 'GET') {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, location: res.headers.get('location'), body: await res.json() };
}

/** team/big with IMAGES images (every third tagged) in a data directory no server runs on. */
/**
 * A server process working one image per chunk at a fixed pace (so a kill lands in the
 * middle), and the delete of team/big started on it (202).
 */
async function deleteBigOnAServer(key: string) {
  const first = startServerProcess(dataDir, {
    BERTH_BULK_CHUNK_IMAGES: '1',
    BERTH_BULK_CHUNK_MS: '0',
    BERTH_OPERATION_LEASE_MS: '1000',
  });
  await until(first.listening, 'the first server to listen');
  const started = await call(
    `${first.url()}/api/v1/namespaces/team/repositories/big`,
    key,
    'DELETE',
  );
  expect(started.status).toBe(202);
  const { operation } = operationAccepted.parse(started.body);
  return { first, started, operation, location: `${first.url()}${started.location}` };
}

/** The next start: a second server process takes the operation over; resolves once it ended. */
async function resumeOnASecondServer(key: string, location: string | null) {
  const second = startServerProcess(dataDir, { BERTH_BULK_CHUNK_IMAGES: '50' });
  await until(second.listening, 'the second server to listen');
  const resumed = `${second.url()}${location}`;
  let ended = operationSchema.parse((await call(resumed, key)).body);
  for (let i = 0; ended.state === 'running' && i < 600; i++) {
    await new Promise((r) => setTimeout(r, 50));
    ended = operationSchema.parse((await call(resumed, key)).body);
  }
  return ended;
}

async function seedBig(): Promise<string> {
  const seeder = await startTestServer();
  dataDir = seeder.dataDir;
  const key = seeder.adminKey;
  await seeder.store.namespaces.create(
    { name: 'team', region: 'local', quotaBytes: null },
    { actor: 'test', now: seeder.clock.now },
  );
  const ingester = createImageIngester(seeder.store, seeder.blobs);
  const base = buildLayer('base', 256);
  for (let i = 0; i < IMAGES; i++) {
    const m = buildImage({
      seed: `img-${i}`,
      created: new Date(seeder.clock.now - 86_400_000),
      layers: [base, buildLayer(`img-${i}`, 32)],
    });
    await ingester.ingest(
      'team',
      'big',
      { manifest: m, tags: i % 3 === 0 ? [`v${i}`] : [] },
      { actor: 'test', now: seeder.clock.now - (IMAGES - i) * 1000 },
    );
  }
  await seeder.close();
  return key;
}

it('a repository delete killed (kill -9) between chunks leaves a consistent store and is resumed to its end at the next start', async () => {
  const key = await seedBig();

  // One image per chunk (not sized by time), so the kill lands in the middle of the operation.
  const { first, started, operation, location } = await deleteBigOnAServer(key);
  for (;;) {
    const op = operationSchema.parse((await call(location, key)).body);
    if (op.done >= 20) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  const dbFile = path.join(dataDir, 'berth.db');
  const handle = await openSqlite(dbFile);
  try {
    const cut = await handle.db
      .selectFrom('operations')
      .select(['state', 'done', 'total'])
      .where('id', '=', Number(operation.id))
      .executeTakeFirstOrThrow();
    expect(cut.state).toBe('running');
    expect(cut.done).toBeGreaterThan(0);
    expect(cut.done).toBeLessThan(IMAGES);
    // Whatever chunk the kill hit was rolled back whole: counters match the rows.
    expect(await counterMismatches(handle.db)).toEqual([]);
    const trashed = await handle.db
      .selectFrom('trash_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(trashed.n)).toBe(cut.done);
  } finally {
    await handle.close();
  }

  const ended = await resumeOnASecondServer(key, started.location);
  expect(ended).toMatchObject({ state: 'succeeded', done: IMAGES, total: IMAGES });
  expect(ended.result).toMatchObject({
    images: IMAGES,
    repositories: [{ name: 'big', images: IMAGES }],
  });
  const after = await openSqlite(dbFile);
  try {
    expect(await counterMismatches(after.db)).toEqual([]);
    const live = await after.db
      .selectFrom('manifests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'live')
      .executeTakeFirstOrThrow();
    expect(Number(live.n)).toBe(0);
  } finally {
    await after.close();
  }
});

it('a failed repository delete killed (kill -9) while it is being undone finishes the undo at the next start, not the delete', async () => {
  const key = await seedBig();
  const dbFile = path.join(dataDir, 'berth.db');
  const snapshot = async () => {
    const h = await openSqlite(dbFile);
    try {
      return JSON.stringify({
        manifests: h.raw.prepare('SELECT id, state, listed FROM manifests ORDER BY id').all(),
        tags: h.raw
          .prepare('SELECT repository_id, name, manifest_id FROM tags ORDER BY 1, 2')
          .all(),
        trash: h.raw.prepare('SELECT count(*) AS n FROM trash_entries').get(),
      });
    } finally {
      await h.close();
    }
  };
  const before = await snapshot();
  // A real failure: the database refuses the delete's 251st trash entry.
  const failing = 250;
  const setup = await openSqlite(dbFile);
  setup.raw.exec(`
    CREATE TRIGGER inject_failure BEFORE INSERT ON trash_entries
    WHEN (SELECT count(*) FROM trash_entries WHERE operation_id IS NOT NULL) >= ${failing}
    BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  await setup.close();

  // One image per chunk at a fixed pace, so the kill lands in the middle of the undo.
  const { first, started, operation, location } = await deleteBigOnAServer(key);
  for (let i = 0; ; i++) {
    const op = operationSchema.parse((await call(location, key)).body);
    expect(op.state, 'the undo ended before the kill').toBe('running');
    if ((op.rolledBack?.images ?? 0) >= 20) break;
    if (i > 20_000) throw new Error('the undo did not start');
    await new Promise((r) => setTimeout(r, 2));
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  const handle = await openSqlite(dbFile);
  try {
    const cut = await handle.db
      .selectFrom('operations')
      .select(['state', 'done', 'undo'])
      .where('id', '=', Number(operation.id))
      .executeTakeFirstOrThrow();
    expect(cut).toMatchObject({ state: 'running', done: failing });
    const undo = JSON.parse(cut.undo ?? 'null') as { restored: number; below: number };
    expect(undo.restored).toBeGreaterThanOrEqual(20);
    expect(undo.below).toBeGreaterThan(1);
    expect(await counterMismatches(handle.db)).toEqual([]);
    // What the committed undo chunks put back is out of the trash; the rest is still in it.
    const left = handle.raw
      .prepare('SELECT count(*) AS n FROM trash_entries WHERE operation_id = ?')
      .get(Number(operation.id)) as { n: number };
    expect(left.n).toBe(failing - undo.restored);
    // The cause is gone: were the delete resumed instead of its undo, it would now succeed.
    handle.raw.exec('DROP TRIGGER inject_failure');
  } finally {
    await handle.close();
  }

  const ended = await resumeOnASecondServer(key, started.location);
  expect(ended).toMatchObject({
    state: 'failed',
    done: failing,
    error: { message: expect.stringMatching(/injected failure/) },
    rolledBack: { images: failing, skippedTags: 0 },
  });
  expect(await snapshot()).toBe(before);
  const after = await openSqlite(dbFile);
  try {
    expect(await counterMismatches(after.db)).toEqual([]);
  } finally {
    await after.close();
  }
});
