import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';
import { createStore, type Store } from './store.js';

/*
 * Upload sessions staged in S3 keep their state in the database so that any process can take
 * the next chunk. Two handles on one SQLite file stand for two processes.
 */
const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;
const ID = '0b5c1c8e-6a4e-4c39-9a0a-2f1d7f3c9b11';

let dir: string;
let handles: SqliteHandle[];
let one: Store;
let two: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-upload-sessions-'));
  const file = path.join(dir, 'berth.db');
  handles = [await openSqlite(file), await openSqlite(file)];
  one = createStore(handles[0]!.db);
  two = createStore(handles[1]!.db);
});

afterEach(async () => {
  for (const h of handles) await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const start = (store: Store, overrides: { oneShot?: boolean; now?: number } = {}) =>
  store.uploadSessions.create({
    id: ID,
    repository: 'team/app',
    algorithm: 'sha256',
    hashState: '',
    oneShot: overrides.oneShot ?? false,
    now: overrides.now ?? T0,
  });

const progress = (offset: number, now = T0 + 1) => ({
  offset,
  parts: [{ number: 1, etag: '"e1"', size: offset }],
  hashState: 'c3RhdGU=',
  tail: { key: `uploads/${ID}/tail-1`, size: 7 },
  now,
});

describe('upload_sessions', () => {
  it('a new session is at 0 bytes, unclaimed, at revision 0', async () => {
    const created = await start(one);
    expect(created).toMatchObject({
      id: ID,
      repository: 'team/app',
      offset: 0,
      parts: [],
      tail: null,
      owner: null,
      oneShot: false,
      s3UploadId: null,
      revision: 0,
      encryption: null,
    });
    expect(await two.uploadSessions.get(ID)).toEqual(created);
  });

  it("keeps an encrypted session's wrapped key and header (migration 0027) through a chunk", async () => {
    const encryption = { key: 'd3JhcHBlZA==', header: 'QkVSVEhFTkM=' };
    const created = await one.uploadSessions.create({
      id: ID,
      repository: 'team/app',
      algorithm: 'sha256',
      hashState: '',
      oneShot: false,
      now: T0,
      encryption,
    });
    expect(created.encryption).toEqual(encryption);
    const claimed = (await two.uploadSessions.claim(ID, 0, 'p2', T0, LEASE))!;
    expect(await two.uploadSessions.advance(ID, 'p2', claimed.revision, progress(9))).toBe(true);
    expect((await one.uploadSessions.get(ID))?.encryption).toEqual(encryption);
  });

  it('only one of two processes claiming the same revision at once gets the session', async () => {
    await start(one);
    const claims = await Promise.all([
      one.uploadSessions.claim(ID, 0, 'a', T0, LEASE),
      two.uploadSessions.claim(ID, 0, 'b', T0, LEASE),
    ]);
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
    const winner = claims.find((c) => c !== null)!.owner;
    expect((await one.uploadSessions.get(ID))?.owner).toBe(winner);
  });

  it('a held claim keeps others out until its lease lapses; the lapsed holder can then record nothing', async () => {
    await start(one);
    expect(await one.uploadSessions.claim(ID, 0, 'a', T0, LEASE)).not.toBeNull();
    expect(await two.uploadSessions.claim(ID, 0, 'b', T0 + LEASE - 1, LEASE)).toBeNull();
    // Renewing moves the lease on.
    expect(await one.uploadSessions.renew(ID, 'a', T0 + 20_000, LEASE)).toBe(true);
    expect(await two.uploadSessions.claim(ID, 0, 'b', T0 + LEASE + 1, LEASE)).toBeNull();
    // 'a' died: its lease lapses and 'b' takes the session.
    expect(
      await two.uploadSessions.claim(ID, 0, 'b', T0 + 20_000 + LEASE + 1, LEASE),
    ).toMatchObject({ owner: 'b' });
    expect(await one.uploadSessions.renew(ID, 'a', T0 + 60_000, LEASE)).toBe(false);
    expect(await one.uploadSessions.advance(ID, 'a', 0, progress(100))).toBe(false);
    expect(await one.uploadSessions.get(ID)).toMatchObject({ offset: 0, owner: 'b' });
  });

  it('advance records a chunk, releases the claim and bumps the revision; a claim at the old revision fails', async () => {
    await start(one);
    await one.uploadSessions.claim(ID, 0, 'a', T0, LEASE);
    expect(await one.uploadSessions.advance(ID, 'a', 0, progress(6_000_000))).toBe(true);
    expect(await two.uploadSessions.get(ID)).toMatchObject({
      offset: 6_000_000,
      parts: [{ number: 1, etag: '"e1"', size: 6_000_000 }],
      hashState: 'c3RhdGU=',
      tail: { key: `uploads/${ID}/tail-1`, size: 7 },
      updatedAt: T0 + 1,
      owner: null,
      leaseUntil: null,
      revision: 1,
    });
    // A process that read revision 0 (and checked its chunk's start against offset 0) is refused.
    expect(await two.uploadSessions.claim(ID, 0, 'b', T0 + 2, LEASE)).toBeNull();
    expect(await two.uploadSessions.claim(ID, 1, 'b', T0 + 2, LEASE)).not.toBeNull();
    // The same owner cannot record twice from one claim.
    expect(await one.uploadSessions.advance(ID, 'a', 0, progress(1))).toBe(false);
  });

  it('release gives the session back as it was', async () => {
    await start(one);
    await one.uploadSessions.claim(ID, 0, 'a', T0, LEASE);
    await one.uploadSessions.release(ID, 'b'); // not b's to release
    expect((await one.uploadSessions.get(ID))?.owner).toBe('a');
    await one.uploadSessions.release(ID, 'a');
    expect(await one.uploadSessions.get(ID)).toMatchObject({
      owner: null,
      leaseUntil: null,
      offset: 0,
      revision: 0,
    });
  });

  it('the multipart upload is recorded once, by the claim holder', async () => {
    await start(one);
    await one.uploadSessions.claim(ID, 0, 'a', T0, LEASE);
    expect(await two.uploadSessions.recordUpload(ID, 'b', 'u-b')).toBe(false);
    expect(await one.uploadSessions.recordUpload(ID, 'a', 'u-a')).toBe(true);
    expect(await one.uploadSessions.recordUpload(ID, 'a', 'u-again')).toBe(false);
    expect((await two.uploadSessions.get(ID))?.s3UploadId).toBe('u-a');
  });

  it('stale lists idle sessions no live lease holds; lapsed single-request uploads are found', async () => {
    await start(one, { now: T0 });
    const other = '1b5c1c8e-6a4e-4c39-9a0a-2f1d7f3c9b11';
    await one.uploadSessions.create({
      id: other,
      repository: 'team/app',
      algorithm: 'sha512',
      hashState: '',
      oneShot: true,
      now: T0,
      claim: { owner: 'o', leaseMs: LEASE },
    });
    const later = T0 + 10_000;
    expect((await one.uploadSessions.stale(later, later)).map((s) => s.id)).toEqual([ID]);
    expect(await one.uploadSessions.stale(T0, later)).toEqual([]);
    expect(await one.uploadSessions.lapsedOneShots(later)).toEqual([]);
    const lapsed = T0 + LEASE + 1;
    expect((await one.uploadSessions.lapsedOneShots(lapsed)).map((s) => s.id)).toEqual([other]);
    expect((await one.uploadSessions.stale(lapsed, lapsed)).map((s) => s.id).sort()).toEqual(
      [ID, other].sort(),
    );
    // A chunk being written is not stale, however old the session.
    await one.uploadSessions.claim(ID, 0, 'a', lapsed, LEASE);
    expect((await one.uploadSessions.stale(lapsed, lapsed)).map((s) => s.id)).toEqual([other]);
  });

  it('remove returns what the session held, once', async () => {
    await start(one);
    await one.uploadSessions.claim(ID, 0, 'a', T0, LEASE);
    await one.uploadSessions.advance(ID, 'a', 0, progress(10));
    expect(await two.uploadSessions.remove(ID)).toMatchObject({ id: ID, offset: 10 });
    expect(await one.uploadSessions.remove(ID)).toBeNull();
    expect(await one.uploadSessions.get(ID)).toBeNull();
    expect((await one.uploadSessions.find([ID])).size).toBe(0);
  });
});
