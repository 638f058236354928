import {
  ConflictError,
  planSetRestore,
  tagSignatureOf,
  tagSignatureTags,
  type TagRestorePlan,
} from '@berth/domain';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from './database.js';
import { listOf, outerLoopJoin, tuplesOf, typed, valuesOf } from './sql-lists.js';

/** A trash entry as the restore reads it (a row of trash_entries). */
export interface RestorableEntry {
  id: number;
  namespace_id: number;
  repository_id: number;
  manifest_id: number;
  digest: string;
  /** JSON array of the tags the image held when it was deleted. */
  tags: string;
  size_bytes: number;
}

export interface RestoredEntry {
  entryId: number;
  repositoryId: number;
  digest: string;
  /** The image's own tags it got back. */
  tags: string[];
  skippedTags: TagRestorePlan['skipped'];
}

/**
 * Entries restored in one transaction. A chunk this size restores in tens of milliseconds, so
 * a push waiting for the write lock between two chunks waits about that long.
 */
export const RESTORE_CHUNK = 500;

/**
 * Restores a set of trash entries (at most a chunk) in the caller's transaction: the images
 * with everything that went to the trash with them, their blobs linked to the repository
 * again, their remembered tags put back by the single-restore rule (planSetRestore: `entries`
 * come newest deletion first, and a tag two of them remember goes to the one deleted last),
 * tag signatures linked to what they sign, the trash rows gone and the counters moved once per
 * repository and namespace. The number of statements does not depend on the number of entries.
 *
 * With `onlyTag` (restore by tag, a set of one) the restore is refused when another image
 * holds that tag, since the person asked for exactly that tag.
 */
export async function restoreTrashEntries(
  trx: Db,
  entries: readonly RestorableEntry[],
  now: number,
  opts: { onlyTag?: string | null } = {},
): Promise<RestoredEntry[]> {
  if (entries.length === 0) return [];
  const entryIds = entries.map((e) => e.id);
  const manifestIds = entries.map((e) => e.manifest_id);
  const mains = new Map(
    (
      await sql<{ id: number; top_level: number; size_bytes: number }>`
        SELECT id, top_level, size_bytes FROM manifests
        WHERE id IN ${listOf(trx, manifestIds)}`.execute(trx)
    ).rows.map((m) => [m.id, m]),
  );
  const partTags = await sql<{
    trash_entry_id: number;
    tag: string;
    manifest_id: number;
    digest: string;
  }>`
    SELECT tt.trash_entry_id, tt.tag, tt.manifest_id, m.digest
    FROM trash_tags tt
    JOIN trash_entries e ON e.id = tt.trash_entry_id
    JOIN manifests m ON m.id = tt.manifest_id
    WHERE tt.trash_entry_id IN ${listOf(trx, entryIds)}
      AND tt.manifest_id != e.manifest_id`.execute(trx);
  const partsOf = new Map<number, { tag: string; digest: string; manifestId: number }[]>();
  for (const p of partTags.rows) {
    const list = partsOf.get(p.trash_entry_id) ?? [];
    list.push({ tag: p.tag, digest: p.digest, manifestId: p.manifest_id });
    partsOf.set(p.trash_entry_id, list);
  }
  const setEntries = entries.map((e) => ({
    repository: e.repository_id,
    digest: e.digest,
    tags: JSON.parse(e.tags) as string[],
    partTags: partsOf.get(e.id) ?? [],
  }));

  const heldNow = await tagHolders(
    trx,
    setEntries.flatMap((e) => [
      ...e.tags.map((tag) => [e.repository, tag] as const),
      ...e.partTags.map((p) => [e.repository, p.tag] as const),
    ]),
  );
  const decisions = planSetRestore(setEntries, heldNow);
  if (opts.onlyTag != null) {
    const tag = opts.onlyTag;
    decisions.forEach((decision, i) => {
      const blocked = setEntries[i]!.tags.includes(tag)
        ? decision.skipped.find((s) => s.tag === tag)
        : undefined;
      if (blocked) {
        throw new ConflictError(
          'TAG_IN_USE',
          `cannot restore with tag "${tag}": ${blocked.reason}`,
          {
            tag,
            heldBy: blocked.heldBy,
          },
        );
      }
    });
  }

  if (await blobsUnlinkedIn(trx, entries)) {
    await relinkBlobsOfEntries(trx, entryIds, now).execute(trx);
  }
  // Each statement here runs synchronously; between the long ones, requests that waited for
  // the event loop run (reads on the reader connection, the rest queue for the writer), so
  // a pull waits for one statement, not for the whole chunk and its commit.
  await nextTurn();
  await reviveManifestsOfEntries(trx, entryIds).execute(trx);
  await nextTurn();
  const puts = entries.flatMap((e, i) =>
    decisions[i]!.put.map((p) => [e.repository_id, p.tag, p.manifestId ?? e.manifest_id]),
  );
  if (puts.length > 0) {
    const j = tuplesOf(trx, 'j', puts, ['bigint', 'text', 'bigint']);
    await sql`
      INSERT INTO tags (repository_id, name, manifest_id, updated_at)
      SELECT ${j.field(0)}, ${j.field(1)}, ${j.field(2)}, ${typed(trx, now, 'bigint')}
      FROM ${j.from}`.execute(trx);
  }
  const attached = await attachTagSignatures(
    trx,
    entries.map((e, i) => ({
      repositoryId: e.repository_id,
      manifestId: e.manifest_id,
      digest: e.digest,
      tags: decisions[i]!.restore,
    })),
  );
  await sql`DELETE FROM trash_entries WHERE id IN ${listOf(trx, entryIds)}`.execute(trx);
  await nextTurn();

  const live = new CounterDeltas();
  for (const e of entries) {
    const main = mains.get(e.manifest_id);
    if (main?.top_level === 1) live.add(e.repository_id, e.namespace_id, 1, main.size_bytes);
  }
  for (const a of attached) {
    if (a.top_level === 1) live.add(a.repository_id, a.namespace_id, -1, -a.size_bytes);
  }
  const trash = new Map<number, { entries: number; bytes: number }>();
  for (const e of entries) {
    const t = trash.get(e.namespace_id) ?? { entries: 0, bytes: 0 };
    t.entries -= 1;
    t.bytes -= e.size_bytes;
    trash.set(e.namespace_id, t);
  }
  await applyCounters(trx, live, trash);

  return entries.map((e, i) => ({
    entryId: e.id,
    repositoryId: e.repository_id,
    digest: e.digest,
    tags: decisions[i]!.restore,
    skippedTags: decisions[i]!.skipped,
  }));
}

/**
 * Whether a blob was ever unlinked from a repository of these entries: if not, every blob
 * their manifests use is still linked (GC keeps the links a trashed manifest uses), and the
 * relink is skipped. One lookup per repository of the chunk, usually one.
 */
async function blobsUnlinkedIn(trx: Db, entries: readonly RestorableEntry[]): Promise<boolean> {
  const repositories = [...new Set(entries.map((e) => e.repository_id))];
  const row = await sql<{ one: number }>`
    SELECT 1 AS one FROM repositories
    WHERE id IN ${listOf(trx, repositories)}
      AND blobs_unlinked_at IS NOT NULL
    LIMIT 1`.execute(trx);
  return row.rows.length > 0;
}

/** Makes the manifests of these trash entries (each image with its children and referrers) live. */
export function reviveManifestsOfEntries(db: Db, entryIds: readonly number[]) {
  return sql`
    UPDATE manifests
    SET state = 'live', trash_entry_id = NULL, listed = top_level, revision = revision + 1
    WHERE trash_entry_id IN ${listOf(db, entryIds)}`;
}

/**
 * Links every blob the manifests of these trash entries use to their repository again, for
 * the entries whose repository had a blob unlinked (blob DELETE) since they went to the trash.
 * The entries drive the join (CROSS JOIN keeps them the outer loop, and an entry that needs no
 * relink stops there): before manifests_trash_entry left out NULLs (migration 0016), statistics
 * gathered while the trash was empty said each trash_entry_id value matches a large share of
 * the manifests, and with `trash_entry_id IN (…)` the planner then scanned every manifest of
 * the registry in repository order for each chunk (all 20,000 per chunk on the 20,000-image
 * dataset). `>=`: an unlink in the same millisecond as the delete may have come after it.
 */
export function relinkBlobsOfEntries(db: Db, entryIds: readonly number[], now: number) {
  // The ids as a table `j` that drives the join.
  const list = valuesOf(db, 'j', entryIds);
  return sql`
    INSERT INTO repository_blobs (repository_id, digest, touched_at)
    SELECT DISTINCT m.repository_id, mb.blob_digest, ${typed(db, now, 'bigint')}
    FROM ${list}
    ${outerLoopJoin(db)} trash_entries e ON e.id = j.value
    ${outerLoopJoin(db)} repositories r ON r.id = e.repository_id
    ${outerLoopJoin(db)} manifests m ON m.trash_entry_id = e.id
    JOIN manifest_blobs mb ON mb.manifest_id = m.id
    JOIN blobs b ON b.digest = mb.blob_digest
    WHERE r.blobs_unlinked_at >= e.deleted_at
    ON CONFLICT (repository_id, digest) DO UPDATE SET touched_at = excluded.touched_at`;
}

/** Who holds each of these (repository, tag) pairs now, in one indexed lookup per pair. */
async function tagHolders(
  trx: Db,
  pairs: readonly (readonly [number, string])[],
): Promise<Map<number, Map<string, string>>> {
  const held = new Map<number, Map<string, string>>();
  if (pairs.length === 0) return held;
  // CROSS JOIN keeps the pairs as the outer loop: each is a primary-key lookup in tags.
  const j = tuplesOf(trx, 'j', pairs, ['bigint', 'text']);
  const rows = await sql<{ repository_id: number; name: string; digest: string }>`
    SELECT t.repository_id, t.name, m.digest
    FROM ${j.from}
    ${outerLoopJoin(trx)} tags t ON t.repository_id = ${j.field(0)} AND t.name = ${j.field(1)}
    JOIN manifests m ON m.id = t.manifest_id`.execute(trx);
  for (const r of rows.rows) {
    const tags = held.get(r.repository_id) ?? new Map<string, string>();
    tags.set(r.name, r.digest);
    held.set(r.repository_id, tags);
  }
  return held;
}

type AttachedSignature = {
  id: number;
  repository_id: number;
  namespace_id: number;
  top_level: number;
  size_bytes: number;
};

/**
 * settleTagSignatures for a set of restored images: an image restored with a tag signature's
 * tag (`sha256-<hex>.sig`) of a live image becomes that image's signature, and signatures
 * waiting under a restored image's own signature tags become its signatures. Same outcome as
 * settling after each single restore, in a fixed number of statements.
 */
async function attachTagSignatures(
  trx: Db,
  restored: readonly { repositoryId: number; manifestId: number; digest: string; tags: string[] }[],
): Promise<AttachedSignature[]> {
  const signing = restored.flatMap((r) =>
    [...r.tags]
      .sort()
      .map((tag) => ({ tag, signs: tagSignatureOf(tag) }))
      .filter((c) => c.signs !== null && c.signs.digest !== r.digest)
      .map((c) => ({ ...r, signs: c.signs! })),
  );
  const own = restored.flatMap((r) =>
    tagSignatureTags(r.digest).map((tag) => [r.repositoryId, tag, r.manifestId] as const),
  );
  const liveSubjects = new Set<string>();
  if (signing.length > 0) {
    const j = tuplesOf(
      trx,
      'j',
      signing.map((s) => [s.repositoryId, s.signs.digest]),
      ['bigint', 'text'],
    );
    const rows = await sql<{ repository_id: number; digest: string }>`
      SELECT m.repository_id, m.digest
      FROM ${j.from}
      ${outerLoopJoin(trx)} manifests m
        ON m.repository_id = ${j.field(0)} AND m.digest = ${j.field(1)}
      WHERE m.state = 'live'`.execute(trx);
    for (const r of rows.rows) liveSubjects.add(`${r.repository_id} ${r.digest}`);
  }
  // Per restored image, the first of its signature tags (in tag order) whose image is live.
  const wanted = new Map<number, { digest: string; kind: string }>();
  for (const s of signing) {
    if (wanted.has(s.manifestId) || !liveSubjects.has(`${s.repositoryId} ${s.signs.digest}`)) {
      continue;
    }
    wanted.set(s.manifestId, s.signs);
  }
  const waiting = own.length === 0 ? [] : await waitingSignatures(trx, own);
  for (const w of waiting) {
    const signs = tagSignatureOf(w.name);
    if (signs && !wanted.has(w.id)) wanted.set(w.id, signs);
  }
  if (wanted.size === 0) return [];
  const attachable = await sql<AttachedSignature>`
    SELECT m.id, m.repository_id, r.namespace_id, m.top_level, m.size_bytes
    FROM manifests m JOIN repositories r ON r.id = m.repository_id
    WHERE m.id IN ${listOf(trx, [...wanted.keys()])}
      AND m.state = 'live' AND m.subject_digest IS NULL AND m.signs_digest IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM manifest_children mc JOIN manifests p ON p.id = mc.parent_id
        WHERE mc.child_id = m.id AND p.state = 'live')`.execute(trx);
  if (attachable.rows.length === 0) return [];
  const links = attachable.rows.map((a) => {
    const signs = wanted.get(a.id)!;
    return [a.id, signs.digest, signs.kind];
  });
  const j = tuplesOf(trx, 'j', links, ['bigint', 'text', 'text']);
  await sql`
    UPDATE manifests
    SET signs_digest = ${j.field(1)}, signs_kind = ${j.field(2)}, top_level = 0, listed = 0,
        revision = revision + 1
    FROM ${j.from}
    WHERE manifests.id = ${j.field(0)}`.execute(trx);
  return attachable.rows;
}

/**
 * The images that hold these (repository, signature tag) pairs, other than the restored
 * image each pair names (`[repository, tag, restored manifest]`), in the pairs' order.
 */
async function waitingSignatures(
  trx: Db,
  own: readonly (readonly [number, string, number])[],
): Promise<{ id: number; name: string }[]> {
  const j = tuplesOf(trx, 'j', own, ['bigint', 'text', 'bigint']);
  const rows = await sql<{ id: number; name: string; settled_for: number }>`
    SELECT m.id, t.name, ${j.field(2)} AS settled_for
    FROM ${j.from}
    ${outerLoopJoin(trx)} tags t ON t.repository_id = ${j.field(0)} AND t.name = ${j.field(1)}
    JOIN manifests m ON m.id = t.manifest_id
    ORDER BY ${j.key}, m.id`.execute(trx);
  return rows.rows.filter((w) => w.id !== w.settled_for);
}

/** Live image and byte changes per repository, each knowing its namespace. */
class CounterDeltas {
  readonly byRepository = new Map<number, { namespace: number; images: number; bytes: number }>();
  add(repository: number, namespace: number, images: number, bytes: number): void {
    const d = this.byRepository.get(repository) ?? { namespace, images: 0, bytes: 0 };
    d.images += images;
    d.bytes += bytes;
    this.byRepository.set(repository, d);
  }
}

/**
 * One update of the repositories and one of the namespaces. A namespace counts a repository
 * exactly when the repository has a live image (hidden otherwise), so it is told how many of
 * its repositories crossed zero, in either direction.
 */
async function applyCounters(
  trx: Db,
  live: CounterDeltas,
  trash: ReadonlyMap<number, { entries: number; bytes: number }>,
): Promise<void> {
  const changed = [...live.byRepository].filter(([, d]) => d.images !== 0 || d.bytes !== 0);
  const ns = new Map<
    number,
    { images: number; bytes: number; repositories: number; trash: number; trashBytes: number }
  >();
  const nsOf = (id: number) => {
    let n = ns.get(id);
    if (!n) {
      n = { images: 0, bytes: 0, repositories: 0, trash: 0, trashBytes: 0 };
      ns.set(id, n);
    }
    return n;
  };
  if (changed.length > 0) {
    const changedIds = changed.map(([id]) => id);
    const before = new Map(
      (
        await sql<{ id: number; image_count: number }>`
          SELECT id, image_count FROM repositories
          WHERE id IN ${listOf(trx, changedIds)}`.execute(trx)
      ).rows.map((r) => [r.id, r.image_count]),
    );
    const j = tuplesOf(
      trx,
      'j',
      changed.map(([id, d]) => [id, d.images, d.bytes]),
      ['bigint', 'bigint', 'bigint'],
    );
    await sql`
      UPDATE repositories
      SET image_count = image_count + (${j.field(1)}), size_bytes = size_bytes + (${j.field(2)})
      FROM ${j.from}
      WHERE repositories.id = ${j.field(0)}`.execute(trx);
    for (const [id, d] of changed) {
      const was = before.get(id) ?? 0;
      const n = nsOf(d.namespace);
      n.images += d.images;
      n.bytes += d.bytes;
      n.repositories += Number(was + d.images > 0) - Number(was > 0);
    }
  }
  for (const [id, t] of trash) {
    const n = nsOf(id);
    n.trash += t.entries;
    n.trashBytes += t.bytes;
  }
  if (ns.size === 0) return;
  const j = tuplesOf(
    trx,
    'j',
    [...ns].map(([id, n]) => [id, n.images, n.bytes, n.repositories, n.trash, n.trashBytes]),
    ['bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint'],
  );
  await sql`
    UPDATE namespaces
    SET image_count = image_count + (${j.field(1)}),
        size_bytes = size_bytes + (${j.field(2)}),
        repository_count = repository_count + (${j.field(3)}),
        trash_count = trash_count + (${j.field(4)}),
        trash_size_bytes = trash_size_bytes + (${j.field(5)})
    FROM ${j.from}
    WHERE namespaces.id = ${j.field(0)}`.execute(trx);
}

/** A restored image as the API reports it. */
export interface RestoredImage {
  repository: string;
  digest: string;
  tags: string[];
  skippedTags: TagRestorePlan['skipped'];
}

/**
 * Restores whichever of these entries are still in the trash and not expired, newest deletion
 * first, in the caller's transaction (one chunk of a larger restore, or all of a small one).
 */
export async function restoreTrashEntriesById(
  trx: Db,
  entryIds: readonly number[],
  now: number,
): Promise<RestoredImage[]> {
  if (entryIds.length === 0) return [];
  const rows = await sql<RestorableEntry & { repository: string }>`
    SELECT e.id, e.namespace_id, e.repository_id, e.manifest_id, e.digest, e.tags, e.size_bytes,
           r.name AS repository
    FROM trash_entries e JOIN repositories r ON r.id = e.repository_id
    WHERE e.id IN ${listOf(trx, entryIds)} AND e.expires_at > ${now}
    ORDER BY e.deleted_at DESC, e.id DESC`.execute(trx);
  return restoreEntriesInParts(trx, rows.rows, now);
}

/**
 * Restores entries already read (newest deletion first) in parts of RESTORE_CHUNK, in the
 * caller's transaction, each named with its repository as the API reports it.
 */
export async function restoreEntriesInParts(
  trx: Db,
  entries: readonly (RestorableEntry & { repository: string })[],
  now: number,
): Promise<RestoredImage[]> {
  const out: RestoredImage[] = [];
  for (let i = 0; i < entries.length; i += RESTORE_CHUNK) {
    const part = entries.slice(i, i + RESTORE_CHUNK);
    const restored = await restoreTrashEntries(trx, part, now);
    restored.forEach((r, j) =>
      out.push({
        repository: part[j]!.repository,
        digest: r.digest,
        tags: r.tags,
        skippedTags: r.skippedTags,
      }),
    );
  }
  return out;
}
