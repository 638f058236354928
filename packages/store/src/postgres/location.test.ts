import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing/postgres.js';
import { DatabaseLocationError, checkDatabaseUrl, parseDatabaseUrl } from './location.js';

describe('BERTH_DATABASE_URL', () => {
  it('is refused unless it is a postgres:// URL naming a database, with the password hidden', () => {
    expect(() => parseDatabaseUrl('berth.db')).toThrow(/must be a URL/);
    expect(() => parseDatabaseUrl('mysql://db/berth')).toThrow(/must start with postgres:\/\//);
    expect(() => parseDatabaseUrl('postgres://db.example:5432')).toThrow(/names no database/);
    expect(parseDatabaseUrl('postgresql://berth:s3cret@db.example/berth').shown).toBe(
      'postgresql://berth:***@db.example/berth',
    );
  });

  const adminUrl = inject('postgresUrl');
  describe.skipIf(adminUrl === null)('checked against a real server', () => {
    const url = (change: (u: URL) => void) => {
      const u = new URL(adminUrl!);
      change(u);
      return u.toString();
    };

    it('accepts a database the user may create tables in', async () => {
      const database = await createTestDatabase(adminUrl!, { empty: true });
      try {
        await expect(checkDatabaseUrl(database.url)).resolves.toBeUndefined();
      } finally {
        await database.drop();
      }
    });

    it('says in one sentence that the database is missing, or the server unreachable', async () => {
      await expect(checkDatabaseUrl(url((u) => (u.pathname = '/no_such_db')))).rejects.toThrow(
        /no_such_db: the database does not exist; create it first/,
      );
      await expect(checkDatabaseUrl(url((u) => (u.port = '1')))).rejects.toThrow(
        /cannot reach the server \(ECONNREFUSED\)/,
      );
    });

    it('refuses a user that may not create tables, and never shows the password', async () => {
      const database = await createTestDatabase(adminUrl!, { empty: true });
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE reader LOGIN PASSWORD 'hunter2'`);
        await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
        const error = await checkDatabaseUrl(
          url((u) => {
            u.username = 'reader';
            u.password = 'hunter2';
            u.pathname = new URL(database.url).pathname;
          }),
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DatabaseLocationError);
        expect((error as Error).message).toMatch(/reader:\*\*\*@.*lacks a privilege/);
        expect((error as Error).message).not.toContain('hunter2');
      } finally {
        await admin.query('DROP ROLE IF EXISTS reader').catch(() => undefined);
        await admin.end();
        await database.drop();
      }
    });
  });
});
