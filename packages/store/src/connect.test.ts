import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { StorageFullError } from '@berth/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './connect.js';
import { mountTmpfs, type Tmpfs, tmpfsUnavailable } from './testing/tmpfs.js';

let handle: SqliteHandle | null = null;
let disk: Tmpfs | null = null;
let dir: string | null = null;

afterEach(async () => {
  await handle?.close();
  handle = null;
  disk?.unmount();
  disk = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** Rows big enough that a transaction of them cannot fit on a 16 MiB disk. */
async function writeMegabytes(db: SqliteHandle['db'], megabytes: number) {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < megabytes; i++) {
      await sql`insert into filler (data) values (randomblob(1048576))`.execute(trx);
    }
  });
}

describe('transactions that fail', () => {
  it('throw their own error when SQLite has already rolled them back', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-connect-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    const db = handle.db;
    const cause = new Error('the cause');
    // SQLite ends a transaction itself after SQLITE_FULL or an I/O error; so does this ROLLBACK.
    const failing = db.transaction().execute(async (trx) => {
      await sql`rollback`.execute(trx);
      throw cause;
    });
    await expect(failing).rejects.toBe(cause);
    // The connection is usable afterwards: no transaction was left open.
    expect(handle.raw.inTransaction).toBe(false);
    await db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
    });
  });

  it('roll back what they wrote when the transaction is still open', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-connect-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    const db = handle.db;
    await sql`create table t (x integer)`.execute(db);
    const cause = new Error('changed my mind');
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into t values (1)`.execute(trx);
        throw cause;
      }),
    ).rejects.toBe(cause);
    const rows = await sql<{ n: number }>`select count(*) as n from t`.execute(db);
    expect(rows.rows[0]?.n).toBe(0);
  });
});

/** Settles within `ms`, or reports that it was still pending. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a transaction that is open and waiting (a bulk operation between its chunks)', () => {
  it('lets reads through at the last committed state, and makes writes wait for it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-connect-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    const db = handle.db;
    await sql`create table t (x integer)`.execute(db);
    await sql`insert into t values (1)`.execute(db);
    const values = async () =>
      (await sql<{ x: number }>`select x from t order by x`.execute(db)).rows.map((r) => r.x);

    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await sql`insert into t values (2)`.execute(trx);
      written();
      await held;
    });
    await wrote;

    // The read does not queue behind the open transaction, and does not see its insert.
    expect(await within(values(), 1000)).toEqual([1]);
    // A write outside the transaction waits for it (one writer at a time)…
    const write = sql`insert into t values (3)`.execute(db);
    expect(await within(write, 200)).toBe('pending');
    expect(await within(values(), 1000)).toEqual([1]);

    // …and runs once it commits; the next read sees both.
    finish();
    await transaction;
    await write;
    expect(await values()).toEqual([1, 2, 3]);
    expect(handle.raw.inTransaction).toBe(false);
  });

  it('serialises transactions: a second one begins only after the first commits', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-connect-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    const db = handle.db;
    await sql`create table t (x integer)`.execute(db);
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const first = db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await held;
    });
    const second = db.transaction().execute(async (trx) => {
      const seen = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
      await sql`insert into t values (2)`.execute(trx);
      return seen.rows[0]?.n;
    });
    expect(await within(second, 200)).toBe('pending');
    finish();
    await first;
    // Reads inside a transaction run on the writer and see what the first one committed.
    expect(await second).toBe(1);
  });

  it('keeps one connection for an in-memory database, where reads wait instead', async () => {
    handle = await openSqlite(':memory:');
    const db = handle.db;
    await sql`create table t (x integer)`.execute(db);
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      written();
      await held;
    });
    await wrote;
    // On one connection a read outside the transaction would see its uncommitted insert.
    const read = sql<{ n: number }>`select count(*) as n from t`.execute(db);
    expect(await within(read, 200)).toBe('pending');
    finish();
    await transaction;
    expect((await read).rows[0]?.n).toBe(1);
  });
});

describe('statistics', () => {
  it('are gathered when migrating, refreshed by optimize, and reads go on across the refresh', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-connect-'));
    handle = await openSqlite(path.join(dir, 'berth.db'));
    const db = handle.db;
    const stat = () =>
      handle!.raw.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'ti'").pluck();
    await sql`create table t (x integer, y integer)`.execute(db);
    await sql`create index ti on t (x)`.execute(db);
    // A WITH that writes: SQLite says it is not read-only, so the writer runs it.
    await sql`with recursive s(v) as (select 1 union all select v + 1 from s where v < 5000)
      insert into t select v, v % 7 from s`.execute(db);
    const read = async () =>
      (await sql<{ n: number }>`select count(*) as n from t where x > 10`.execute(db)).rows[0]?.n;
    expect(await read()).toBe(4990);
    expect(stat().get()).toBeUndefined();
    await handle.optimize();
    // The new table's index has statistics now, and the reader, opened afresh, still reads.
    expect(stat().get()).toMatch(/^5000 /);
    await sql`insert into t values (20000, 1)`.execute(db);
    expect(await read()).toBe(4991);
  });
});

describe.skipIf(tmpfsUnavailable() !== null)('a full disk (real tmpfs)', () => {
  it('fails writes with StorageFullError, keeps reads working, and recovers once space is freed', async () => {
    disk = mountTmpfs(16);
    handle = await openSqlite(path.join(disk.dir, 'berth.db'));
    const db = handle.db;
    await sql`create table filler (data blob)`.execute(db);
    await sql`insert into filler (data) values (x'00')`.execute(db);
    disk.fill();

    const failed = await writeMegabytes(db, 20).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(StorageFullError);
    expect((failed as StorageFullError).code).toBe('STORAGE_FULL');
    expect((failed as Error).message).toMatch(/storage is full/);
    expect(String((failed as Error).message)).not.toMatch(/cannot rollback/);
    expect(handle.raw.inTransaction).toBe(false);

    // Nothing of the failed transaction was kept, and reading still works on the full disk.
    const count = async () =>
      (await sql<{ n: number }>`select count(*) as n from filler`.execute(db)).rows[0]?.n;
    expect(await count()).toBe(1);

    // Space comes back: the same connection writes again, no reopening.
    disk.free();
    await writeMegabytes(db, 2);
    expect(await count()).toBe(3);
  });
});

if (tmpfsUnavailable() !== null) {
  describe('a full disk (real tmpfs)', () => {
    it.skip(`skipped: ${tmpfsUnavailable()}`, () => {});
  });
}
