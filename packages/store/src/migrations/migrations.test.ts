import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from './index.js';

/**
 * A database as the first release left it, with a layer two images of one repository share,
 * upgrades to the current schema: 0002 once failed on it (a duplicate repository_blobs key).
 */
it('upgrades a first-release database whose images share layers', async () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
  });
  await migrateTo(db, '0001-initial');
  await sql`INSERT INTO regions (name, created_at) VALUES ('local', 1)`.execute(db);
  await sql`INSERT INTO namespaces (name, region, created_at) VALUES ('team', 'local', 1)`.execute(
    db,
  );
  await sql`INSERT INTO repositories (namespace_id, name, created_at) VALUES (1, 'app', 1)`.execute(
    db,
  );
  await sql`INSERT INTO blobs (digest, size, created_at) VALUES ('sha256:layer', 10, 1)`.execute(
    db,
  );
  for (const [id, pushed] of [
    [1, 100],
    [2, 200],
  ]) {
    await sql`INSERT INTO manifests (id, repository_id, digest, media_type, manifest_size, size_bytes,
      created_sort, pushed_at, top_level, state, listed)
      VALUES (${id}, 1, ${`sha256:m${id}`}, 'application/vnd.oci.image.manifest.v1+json', 1, 11,
      0, ${pushed}, 1, 'live', 1)`.execute(db);
    await sql`INSERT INTO manifest_blobs (manifest_id, blob_digest) VALUES (${id}, 'sha256:layer')`.execute(
      db,
    );
  }
  await migrateToLatest(db);
  const links = await sql<{ digest: string; touched_at: number }>`
    SELECT digest, touched_at FROM repository_blobs`.execute(db);
  expect(links.rows).toEqual([{ digest: 'sha256:layer', touched_at: 200 }]);
  await db.destroy();
});

/**
 * 0006 gives each index child its place in the index's own bytes (rows were recorded in push
 * order, which need not be the index's), and remembers which manifest held a trashed tag.
 */
it('backfills index order from the stored index and the holder of trashed tags', async () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
  });
  await migrateTo(db, '0005-identity');
  await sql`INSERT INTO regions (name, created_at) VALUES ('local', 1)`.execute(db);
  await sql`INSERT INTO namespaces (name, region, created_at) VALUES ('team', 'local', 1)`.execute(
    db,
  );
  await sql`INSERT INTO repositories (namespace_id, name, created_at) VALUES (1, 'app', 1)`.execute(
    db,
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ digest: 'sha256:arm' }, { digest: 'sha256:amd' }],
    }),
  );
  for (const [id, digest, content] of [
    [1, 'sha256:amd', null],
    [2, 'sha256:arm', null],
    [3, 'sha256:extra', null],
    [4, 'sha256:index', index],
  ] as const) {
    await sql`INSERT INTO manifests (id, repository_id, digest, media_type, manifest_size,
      size_bytes, created_sort, pushed_at, top_level, state, listed, content)
      VALUES (${id}, 1, ${digest}, 'application/vnd.oci.image.manifest.v1+json', 1, 1, 0, 1,
      ${id === 4 ? 1 : 0}, 'live', ${id === 4 ? 1 : 0}, ${content})`.execute(db);
  }
  for (const child of [1, 2, 3]) {
    await sql`INSERT INTO manifest_children (parent_id, child_id) VALUES (4, ${child})`.execute(db);
  }
  await sql`INSERT INTO trash_entries (id, namespace_id, repository_id, manifest_id, digest,
    media_type, tags, size_bytes, deleted_at, expires_at, reason, actor)
    VALUES (7, 1, 1, 1, 'sha256:amd', 'x', '["old"]', 1, 1, 2, 'deleted', 'a')`.execute(db);
  await sql`INSERT INTO trash_tags (trash_entry_id, repository_id, tag, deleted_at)
    VALUES (7, 1, 'old', 1)`.execute(db);
  await migrateToLatest(db);
  const positions = await sql<{ child_id: number; position: number }>`
    SELECT child_id, position FROM manifest_children ORDER BY child_id`.execute(db);
  expect(positions.rows).toEqual([
    { child_id: 1, position: 1 },
    { child_id: 2, position: 0 },
    { child_id: 3, position: 2 },
  ]);
  const tags = await sql<{ manifest_id: number }>`SELECT manifest_id FROM trash_tags`.execute(db);
  expect(tags.rows).toEqual([{ manifest_id: 1 }]);
  await db.destroy();
});

it('counts the first start of a database an earlier Berth started on as finished, and of a new one as not', async () => {
  const open = () =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
  const finished = async (db: ReturnType<typeof open>) =>
    (await sql<{ n: number }>`SELECT count(*) AS n FROM first_start`.execute(db)).rows[0]!.n;

  const started = open();
  await migrateTo(started, '0005-identity');
  await sql`INSERT INTO regions (name, created_at) VALUES ('local', 1)`.execute(started);
  await migrateToLatest(started);
  expect(await finished(started)).toBe(1);
  await started.destroy();

  const fresh = open();
  await migrateToLatest(fresh);
  expect(await finished(fresh)).toBe(0);
  await fresh.destroy();
});
