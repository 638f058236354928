import {
  ConflictError,
  type ImageGraph,
  NotFoundError,
  type TrashReason,
  goingWith,
  trashExpiry,
} from '@berth/domain';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from './database.js';
import type { ActionContext } from './context.js';
import { loadImageGraph } from './image-graph-load.js';
import { adjustCounters } from './resolve.js';
import { listOf, tuplesOf, typed } from './sql-lists.js';

/** A manifest as the trash needs it. */
export interface TrashSeed {
  id: number;
  digest: string;
  media_type: string;
  size_bytes: number;
  top_level: number;
}

export interface TrashedImage {
  trashId: string;
  repository: string;
  digest: string;
  tags: string[];
  sizeBytes: number;
}

export interface RepositoryIds {
  namespaceId: number;
  repositoryId: number;
  repositoryName: string;
}

export interface TrashImagesOptions {
  retentionRunId?: number | null;
  /** The operation whose chunk this is: its entries say so, for the undo of a failure. */
  operationId?: number | null;
  /** How errors name the repository ("team/app"). */
  fullName?: string;
  /**
   * What to do with a seed that an earlier seed of the set already took along, or that a live
   * index holds: `refuse` (a request naming it: the whole request fails, as deleting one by
   * one would) or `skip` (a fixed set worked in chunks: the image is simply no longer there).
   */
  unavailable: 'refuse' | 'skip';
}

/**
 * What each seed takes along when the seeds go to the trash one after the other, in their
 * order (see goingWith): a child two seeds share stays while the other one is live, so it goes
 * with the LAST of them, exactly as when they are deleted one by one. Seeds an earlier one
 * already took, or that a live index holds, come back in `unavailable`.
 */
export function attributeGoing<K>(
  seeds: readonly K[],
  g: ImageGraph<K>,
): { taken: Map<K, K[]>; unavailable: { seed: K; reason: 'gone' | 'in-index'; parent?: K }[] } {
  const gone = new Set<K>();
  const live = (id: K) => !gone.has(id) && g.live(id);
  const taken = new Map<K, K[]>();
  const unavailable: { seed: K; reason: 'gone' | 'in-index'; parent?: K }[] = [];
  for (const seed of seeds) {
    if (taken.has(seed)) continue;
    if (!live(seed)) {
      unavailable.push({ seed, reason: 'gone' });
      continue;
    }
    const parent = (g.parents.get(seed) ?? []).find(live);
    if (parent !== undefined) {
      unavailable.push({ seed, reason: 'in-index', parent });
      continue;
    }
    const going = goingWith([seed], { ...g, live });
    for (const id of going) gone.add(id);
    taken.set(seed, going);
  }
  return { taken, unavailable };
}

/**
 * Moves a set of images of one repository to the trash, each with everything that goes with
 * it (goingWith: its descendants no other live index holds, its referrers and tag signatures),
 * in a fixed number of statements whatever the size of the set: the graph is read once for all
 * seeds, and tags, trash entries, remembered tags, manifests and counters are each written
 * with one multi-row statement. The result is what trashing the seeds one by one in their
 * order gives. Runs inside the caller's transaction.
 */
export async function trashImages(
  trx: Db,
  ids: RepositoryIds,
  seeds: readonly TrashSeed[],
  reason: TrashReason,
  ctx: ActionContext,
  options: TrashImagesOptions,
): Promise<TrashedImage[]> {
  if (seeds.length === 0) return [];
  const { graph, nodes } = await loadImageGraph(
    trx,
    ids.repositoryId,
    seeds.map((s) => ({ id: s.id, digest: s.digest, state: 'live' as const })),
  );
  const { taken, unavailable } = attributeGoing(
    seeds.map((s) => s.id),
    graph,
  );
  const first = unavailable[0];
  if (first && options.unavailable === 'refuse') {
    const seed = seeds.find((s) => s.id === first.seed);
    const full = options.fullName ?? ids.repositoryName;
    if (first.reason === 'gone') {
      throw new NotFoundError(
        'IMAGE_IN_TRASH',
        `image ${seed?.digest} of ${full} is already in the trash`,
      );
    }
    const parent = await trx
      .selectFrom('manifests')
      .select('digest')
      .where('id', '=', first.parent ?? -1)
      .executeTakeFirst();
    throw new ConflictError(
      'IMAGE_IN_INDEX',
      `${seed?.digest} is a platform image of index ${parent?.digest ?? nodes.get(first.parent ?? -1)?.digest}; delete the index instead`,
    );
  }
  const going = seeds.filter((s) => taken.has(s.id));
  if (going.length === 0) return [];
  const all = going.flatMap((s) => taken.get(s.id) ?? []);
  // Each statement below runs synchronously; between them, requests that waited for the event
  // loop run (reads on the reader connection; writes queue for the writer), so a pull waits
  // for one statement of a bulk chunk, not for the whole chunk.
  await nextTurn();

  // One statement takes the tags off and says which they were.
  const tagRows = await trx
    .deleteFrom('tags')
    .where('manifest_id', 'in', listOf(trx, all))
    .returning(['manifest_id', 'name'])
    .execute();
  const tagsByManifest = new Map<number, string[]>();
  for (const t of tagRows) {
    const list = tagsByManifest.get(t.manifest_id);
    if (list) list.push(t.name);
    else tagsByManifest.set(t.manifest_id, [t.name]);
  }
  // In name order, as remembered tags are listed (OCI tag names are ASCII: JS order is
  // SQLite's binary order).
  for (const list of tagsByManifest.values()) list.sort();

  const expires = trashExpiry(ctx.now);
  const j = tuplesOf(
    trx,
    'j',
    going.map((s) => [
      s.id,
      s.digest,
      s.media_type,
      JSON.stringify(tagsByManifest.get(s.id) ?? []),
      s.size_bytes,
    ]),
    ['bigint', 'text', 'text', 'text', 'bigint'],
  );
  const bigint = (value: number | null) => typed(trx, value, 'bigint');
  const entries = await sql<{ id: number; manifest_id: number }>`
    INSERT INTO trash_entries (namespace_id, repository_id, manifest_id, digest, media_type,
      tags, size_bytes, deleted_at, expires_at, reason, actor, retention_run_id, operation_id)
    SELECT ${bigint(ids.namespaceId)}, ${bigint(ids.repositoryId)}, ${j.field(0)}, ${j.field(1)},
      ${j.field(2)}, ${j.field(3)}, ${j.field(4)}, ${bigint(ctx.now)}, ${bigint(expires)},
      ${reason}, ${ctx.actor}, ${bigint(options.retentionRunId ?? null)},
      ${bigint(options.operationId ?? null)}
    FROM ${j.from}
    ORDER BY ${j.key}
    RETURNING id, manifest_id`.execute(trx);
  const entryOf = new Map(entries.rows.map((e) => [Number(e.manifest_id), Number(e.id)]));
  await nextTurn();

  // Every manifest that goes, with the entry of the seed it goes with.
  const moves: [number, number][] = [];
  for (const s of going) {
    const entry = entryOf.get(s.id) ?? 0;
    for (const id of taken.get(s.id) ?? []) moves.push([id, entry]);
  }
  const m = tuplesOf(trx, 'm', moves, ['bigint', 'bigint']);
  await sql`
    UPDATE manifests
    SET state = 'trashed', listed = 0, revision = revision + 1, trash_entry_id = ${m.field(1)}
    FROM ${m.from}
    WHERE manifests.id = ${m.field(0)} AND manifests.state = 'live'`.execute(trx);
  await nextTurn();

  const remembered: [number, number, string][] = [];
  for (const [id, entry] of moves) {
    for (const tag of tagsByManifest.get(id) ?? []) remembered.push([entry, id, tag]);
  }
  if (remembered.length > 0) {
    const t = tuplesOf(trx, 't', remembered, ['bigint', 'bigint', 'text']);
    await sql`
      INSERT INTO trash_tags (trash_entry_id, manifest_id, repository_id, tag, deleted_at)
      SELECT ${t.field(0)}, ${t.field(1)}, ${typed(trx, ids.repositoryId, 'bigint')}, ${t.field(2)},
        ${typed(trx, ctx.now, 'bigint')}
      FROM ${t.from}`.execute(trx);
  }

  const listed = going.filter((s) => s.top_level === 1);
  await adjustCounters(trx, ids, {
    images: -listed.length,
    bytes: -listed.reduce((sum, s) => sum + s.size_bytes, 0),
    trashEntries: going.length,
    trashBytes: going.reduce((sum, s) => sum + s.size_bytes, 0),
  });
  return going.map((s) => ({
    trashId: String(entryOf.get(s.id)),
    repository: ids.repositoryName,
    digest: s.digest,
    tags: tagsByManifest.get(s.id) ?? [],
    sizeBytes: s.size_bytes,
  }));
}
