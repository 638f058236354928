import { type RawBuilder, sql } from 'kysely';
import {
  type BulkLoadOptions,
  type BulkLoadResult,
  HISTORY,
  LAYER_MEDIA_TYPE,
  syntheticDataset,
} from './bulk-load.js';
import type { Db } from './database.js';

/*
 * bulkLoadSynthetic on PostgreSQL: the same rows for the same seed, written column-wise as
 * arrays (one INSERT … SELECT FROM unnest per table and batch) instead of a statement per row,
 * which a network round trip each would make take hours at a million images. Ids are given
 * here, after the largest already taken, and the identity sequences are moved past them.
 */

/** Images per batch of inserts: a few arrays of ~20,000 values per statement. */
const BATCH = 5_000;
const DAY = 86_400_000;

type Column = readonly [name: string, type: 'bigint' | 'text'];

/** Buffered rows of one table, as one array per column. */
class Rows {
  readonly values: unknown[][];
  constructor(
    readonly table: string,
    readonly columns: readonly Column[],
    /** Columns every row has the same value in (SQL expressions). */
    readonly constants: Record<string, RawBuilder<unknown>> = {},
    readonly onConflict: RawBuilder<unknown> = sql``,
  ) {
    this.values = columns.map(() => []);
  }

  add(...row: unknown[]): void {
    row.forEach((v, i) => this.values[i]?.push(v));
  }

  async flush(db: Db): Promise<void> {
    if ((this.values[0]?.length ?? 0) === 0) return;
    const names = [...this.columns.map(([n]) => n), ...Object.keys(this.constants)];
    const arrays = this.columns.map(
      ([, type], i) => sql`CAST(${this.values[i]} AS ${sql.raw(type)}[])`,
    );
    await sql`
      INSERT INTO ${sql.table(this.table)} (${sql.join(names.map((n) => sql.ref(n)))})
      SELECT ${sql.join([sql`u.*`, ...Object.values(this.constants)])}
      FROM unnest(${sql.join(arrays)}) AS u
      ${this.onConflict}`.execute(db);
    for (const v of this.values) v.length = 0;
  }
}

async function maxId(db: Db, table: string): Promise<number> {
  const row = await sql<{ n: number }>`SELECT coalesce(max(id), 0) AS n FROM ${sql.table(table)}`
    .execute(db)
    .then((r) => r.rows[0]);
  return Number(row?.n ?? 0);
}

export async function bulkLoadSyntheticPostgres(
  db: Db,
  opts: BulkLoadOptions,
): Promise<BulkLoadResult> {
  const { region, now } = opts;
  const data = syntheticDataset(opts);
  let namespaceId = await maxId(db, 'namespaces');
  let repositoryId = await maxId(db, 'repositories');
  let manifestId = await maxId(db, 'manifests');

  await sql`INSERT INTO regions (name, created_at) VALUES (${region}, ${now - HISTORY - 30 * DAY})
    ON CONFLICT DO NOTHING`.execute(db);
  const blobs = new Rows(
    'blobs',
    [
      ['digest', 'text'],
      ['size', 'bigint'],
      ['media_type', 'text'],
      ['created_at', 'bigint'],
    ],
    {},
    sql`ON CONFLICT DO NOTHING`,
  );
  for (const layer of data.layers)
    blobs.add(layer.digest, layer.size, LAYER_MEDIA_TYPE, now - HISTORY);
  await blobs.flush(db);

  const namespaces = new Rows('namespaces', [
    ['id', 'bigint'],
    ['name', 'text'],
    ['region', 'text'],
    ['created_at', 'bigint'],
  ]);
  const namespaceIds = data.namespaces.map((ns) => {
    namespaces.add(++namespaceId, ns.name, region, ns.createdAt);
    return namespaceId;
  });
  await namespaces.flush(db);
  const nsTotals = namespaceIds.map(() => ({ repositories: 0, images: 0, bytes: 0 }));

  const repositories = new Rows('repositories', [
    ['id', 'bigint'],
    ['namespace_id', 'bigint'],
    ['name', 'text'],
    ['created_at', 'bigint'],
  ]);
  const manifests = new Rows(
    'manifests',
    [
      ['id', 'bigint'],
      ['repository_id', 'bigint'],
      ['digest', 'text'],
      ['media_type', 'text'],
      ['manifest_size', 'bigint'],
      ['size_bytes', 'bigint'],
      ['created_at', 'bigint'],
      ['created_sort', 'bigint'],
      ['pushed_at', 'bigint'],
    ],
    { top_level: sql`1`, state: sql`'live'`, listed: sql`1` },
  );
  const links = new Rows('manifest_blobs', [
    ['manifest_id', 'bigint'],
    ['blob_digest', 'text'],
  ]);
  const tags = new Rows('tags', [
    ['repository_id', 'bigint'],
    ['name', 'text'],
    ['manifest_id', 'bigint'],
    ['updated_at', 'bigint'],
  ]);
  // Parents before children: the foreign keys are checked row by row.
  const flush = async () => {
    for (const rows of [repositories, manifests, links, tags]) await rows.flush(db);
  };

  let done = 0;
  const totals: [id: number, images: number, bytes: number, lastPushed: number][] = [];
  for (const repo of data.repositories) {
    const repoId = ++repositoryId;
    // Counted as its images go in; the totals are set once all are in.
    repositories.add(repoId, namespaceIds[repo.namespaceIndex], repo.name, repo.createdAt);
    let count = 0;
    let bytes = 0;
    let lastPushed = 0;
    for (const image of repo.images) {
      const id = ++manifestId;
      manifests.add(
        id,
        repoId,
        image.digest,
        image.mediaType,
        image.manifestSize,
        image.size,
        image.created,
        image.created ?? 0,
        image.pushed,
      );
      for (const k of image.layers) links.add(id, data.layers[k]?.digest);
      for (const tag of image.tags) tags.add(repoId, tag, id, image.pushed);
      count++;
      bytes += image.size;
      if (image.pushed > lastPushed) lastPushed = image.pushed;
      if (++done % BATCH === 0) {
        await flush();
        opts.onProgress?.(done);
      }
    }
    totals.push([repoId, count, bytes, lastPushed]);
    const ns = nsTotals[repo.namespaceIndex];
    if (ns && count > 0) {
      ns.repositories++;
      ns.images += count;
      ns.bytes += bytes;
    }
  }
  await flush();
  if (done % BATCH !== 0) opts.onProgress?.(done);
  const column = (i: number) => sql`CAST(${totals.map((t) => t[i])} AS bigint[])`;
  await sql`
    UPDATE repositories SET image_count = t.images, size_bytes = t.bytes, last_pushed_at = t.pushed
    FROM unnest(${column(0)}, ${column(1)}, ${column(2)}, ${column(3)}) AS t (id, images, bytes, pushed)
    WHERE repositories.id = t.id`.execute(db);
  for (const [n, id] of namespaceIds.entries()) {
    const t = nsTotals[n];
    if (!t) continue;
    await sql`UPDATE namespaces SET repository_count = ${t.repositories}, image_count = ${t.images},
      size_bytes = ${t.bytes} WHERE id = ${id}`.execute(db);
  }
  // Explicit ids leave the identity sequences behind: the next push would collide.
  for (const table of ['namespaces', 'repositories', 'manifests']) {
    await sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), (SELECT max(id) FROM ${sql.table(table)}))`.execute(
      db,
    );
  }
  // From (nearly) empty to full in one go: the planner needs statistics of the new rows, and
  // index-only scans need the visibility map that VACUUM sets (autovacuum would, later, in
  // the middle of whatever is being measured).
  await sql`VACUUM (ANALYZE)`.execute(db);
  return {
    namespaces: data.namespaces.length,
    repositories: data.repositoryCount,
    images: done,
    bigRepository: data.bigRepository,
  };
}
