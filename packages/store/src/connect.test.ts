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
