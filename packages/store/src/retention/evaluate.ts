import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type CompiledRules,
  type ImagePointer,
  MANIFEST_MEDIA_TYPES,
  type RetentionCandidate,
  type RetentionVerdict,
  needsScans,
  withScannedPart,
  selectRetention,
} from '@berth/domain';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../database.js';
import { chunks } from '../blob-reclaim.js';
import { engineOf } from '../store-handle.js';

/** What retention reads of an image beyond the rule inputs. */
export interface ScannedImage extends RetentionCandidate<number> {
  revision: number;
  sizeBytes: number;
}

export interface RepositoryVerdicts {
  repository: { id: number; name: string };
  verdicts: RetentionVerdict<number>[];
}

/** The image a verdict is about: selectRetention hands back the candidates it was given. */
export const scannedImage = (v: RetentionVerdict<number>): ScannedImage =>
  v.candidate as ScannedImage;

/**
 * Repositories are read in groups of about this many images: one query per group, and a
 * group (its read, its tags and its verdicts) is one synchronous step of the event loop.
 * 20,000 held it for up to ~300 ms at a million images; 5,000 keeps a step near 50 ms.
 */
const IMAGES_PER_BATCH = 5_000;
const REPOSITORIES_PER_BATCH = 100;

/**
 * Which repositories to evaluate: given ids (a confirmation re-checks the ones it deletes
 * from, even if they have emptied since), or those with images; either optionally within a
 * range of names [from, to) so two threads can each take a part of them.
 */
export interface RepositorySelection {
  ids?: ReadonlySet<number>;
  nameFrom?: string;
  nameTo?: string;
}

export async function selectRepositories(
  db: Db,
  namespaceId: number,
  select: RepositorySelection,
): Promise<{ id: number; name: string; image_count: number }[]> {
  const all = await db
    .selectFrom('repositories')
    .select(['id', 'name', 'image_count'])
    .where('namespace_id', '=', namespaceId)
    .orderBy('name')
    .execute();
  return all.filter(
    (r) =>
      (select.ids ? select.ids.has(r.id) : r.image_count > 0) &&
      (select.nameFrom === undefined || r.name >= select.nameFrom) &&
      (select.nameTo === undefined || r.name < select.nameTo),
  );
}

/**
 * Applies the rules to every repository of a namespace (or to the given ones), a group of
 * repositories at a time so memory stays bounded whatever the namespace holds. Only listed
 * images are candidates: referrers and platform images of an index never are. The image read
 * is served by the covering `manifests_retention` index, never the manifest rows.
 */
export async function* evaluateRepositories(
  db: Db,
  namespaceId: number,
  compiled: CompiledRules,
  pointers: readonly ImagePointer[],
  select: RepositorySelection = {},
): AsyncGenerator<RepositoryVerdicts> {
  const repositories = await selectRepositories(db, namespaceId, select);
  const digestPointerRepositories = new Set(
    pointers.filter((p) => 'digest' in p.reference).map((p) => p.repository),
  );
  const batches: (typeof repositories)[] = [];
  for (let start = 0; start < repositories.length;) {
    let images = 0;
    let end = start;
    while (
      end < repositories.length &&
      end - start < REPOSITORIES_PER_BATCH &&
      (end === start || images + (repositories[end]?.image_count ?? 0) <= IMAGES_PER_BATCH)
    ) {
      images += repositories[end]?.image_count ?? 0;
      end++;
    }
    batches.push(repositories.slice(start, end));
    start = end;
  }
  // Scans are read only for rules that protect by them: otherwise a preview costs what it did.
  const withScans = needsScans(compiled.rules);
  const read = (batch: typeof repositories) => {
    const only = batch.length === 1 ? batch[0] : undefined;
    return only && only.image_count > IMAGES_PER_BATCH
      ? readLargeRepository(db, only.id, withScans)
      : readBatch(
          db,
          batch.map((r) => r.id),
          withScans,
        );
  };
  // PostgreSQL answers over the network: the next batch is asked for while this one is
  // decided, so the server's work and this thread's overlap. (better-sqlite3 answers
  // synchronously; there a read ahead would only lengthen a step of the event loop.)
  const readAhead = engineOf(db) === 'postgres';
  let next = readAhead && batches[0] ? read(batches[0]) : null;
  for (const [i, batch] of batches.entries()) {
    // better-sqlite3 answers synchronously, so awaiting its queries never lets a request in:
    // a turn of the event loop per batch keeps pulls answering while a million images are
    // decided.
    if (i > 0) await nextTurn();
    const byRepository = await (next ?? read(batch));
    const following = batches[i + 1];
    next = readAhead && following ? read(following) : null;
    // A consumer that stops early leaves it unread: its failure then is nobody's to report.
    next?.catch(() => undefined);
    await fillTiedDigests(db, byRepository);
    for (const repository of batch) {
      const scanned = byRepository.get(repository.id) ?? [];
      if (digestPointerRepositories.has(repository.name)) {
        await fillDigests(
          db,
          scanned.filter((s) => s.digest === ''),
        );
      }
      yield {
        repository: { id: repository.id, name: repository.name },
        verdicts: selectRetention(repository.name, scanned, compiled, pointers),
      };
    }
  }
}

/**
 * One text value per column and batch (see ColumnCodec): better-sqlite3 spends more building a
 * million row objects than SQLite spends finding the rows, and a column of numbers parses into
 * a flat array. The aggregates of one query see the rows in the same order, so they line up.
 */
async function readBatch(
  db: Db,
  ids: number[],
  withScans: boolean,
): Promise<Map<number, ScannedImage[]>> {
  const codec = columnsOf(db);
  const column = codec.numbers;
  const images = await sql<ImageColumns>`
    SELECT ${column('repository_id')} AS r, ${column('id')} AS i,
      ${column('created_sort')} AS c, ${column('pushed_at')} AS p,
      ${column('revision')} AS v, ${column('size_bytes')} AS s
    FROM manifests WHERE repository_id IN (${sql.join(ids)}) AND listed = 1`.execute(db);
  const tagged = await sql<TagColumns>`
    SELECT ${column('manifest_id')} AS m, ${codec.names('name')} AS n
    FROM tags WHERE repository_id IN (${sql.join(ids)})`.execute(db);
  const byRepository = new Map<number, ScannedImage[]>();
  const read = decode(codec, images.rows[0], tagged.rows[0], byRepository);
  if (withScans) {
    await fillLastScans(db, sql`m.repository_id IN (${sql.join(ids)}) AND m.listed = 1`, read);
  }
  return byRepository;
}

/**
 * A repository larger than a batch, read in keyset ranges of ids with a turn of the event loop
 * between them (at 100,000 images one read held the loop for ~0.8 s). Each image is read once;
 * one pushed meanwhile is read if its range comes later, as a push during any preview may be.
 */
async function readLargeRepository(
  db: Db,
  repositoryId: number,
  withScans: boolean,
): Promise<Map<number, ScannedImage[]>> {
  const byRepository = new Map<number, ScannedImage[]>();
  const codec = columnsOf(db);
  const column = codec.numbers;
  // PostgreSQL requires a subquery in FROM to have a name.
  const named = engineOf(db) === 'postgres' ? sql` AS m` : sql``;
  for (let after = 0; ;) {
    const images = await sql<ImageColumns & { last: number | null; n: number }>`
      SELECT ${column('repository_id')} AS r, ${column('id')} AS i,
        ${column('created_sort')} AS c, ${column('pushed_at')} AS p,
        ${column('revision')} AS v, ${column('size_bytes')} AS s,
        max(id) AS last, count(*) AS n
      FROM (SELECT * FROM manifests
        WHERE repository_id = ${repositoryId} AND listed = 1 AND id > ${after}
        ORDER BY id LIMIT ${IMAGES_PER_BATCH})${named}`.execute(db);
    const row = images.rows[0];
    if (!row || row.last === null) break;
    const tagged = await sql<TagColumns>`
      SELECT ${column('manifest_id')} AS m, ${codec.names('name')} AS n
      FROM tags WHERE manifest_id > ${after} AND manifest_id <= ${row.last}
        AND repository_id = ${repositoryId}`.execute(db);
    const read = decode(codec, row, tagged.rows[0], byRepository);
    if (withScans) {
      await fillLastScans(
        db,
        sql`m.repository_id = ${repositoryId} AND m.listed = 1
          AND m.id > ${after} AND m.id <= ${row.last}`,
        read,
      );
    }
    if (Number(row.n) < IMAGES_PER_BATCH) break;
    after = row.last;
    await nextTurn();
  }
  return byRepository;
}

/**
 * How a column of a read travels as one text value and is parsed back. SQLite: a JSON array
 * (json_group_array). PostgreSQL: the values joined by a separator (string_agg), which the
 * server builds in half the time of json_agg (measured at 5,000 images: 5.5 ms against 11 ms
 * a read, and 1.9 ms against 4.1 ms for the tags); numbers are then parsed as one JSON array.
 * Tag names are joined by the unit separator (U+001F), which the tag grammar excludes, and
 * the parser refuses a column that does not line up rather than pair tags with wrong images.
 * Over no rows either aggregate is NULL, which parses as []. All aggregates of one query are
 * fed the same rows in the same order on either engine.
 */
interface ColumnCodec {
  numbers(name: string): RawBuilder<string>;
  names(name: string): RawBuilder<string>;
  parseNumbers(text: string | null | undefined): number[];
  parseNames(text: string | null | undefined): string[];
}

const NAME_SEPARATOR = '\u001f';

const jsonColumns: ColumnCodec = {
  numbers: (name) => sql.raw(`json_group_array(${name})`),
  names: (name) => sql.raw(`json_group_array(${name})`),
  parseNumbers: (text) => (text ? (JSON.parse(text) as number[]) : []),
  parseNames: (text) => (text ? (JSON.parse(text) as string[]) : []),
};

const joinedColumns: ColumnCodec = {
  numbers: (name) => sql.raw(`string_agg(CAST(${name} AS text), ',')`),
  names: (name) => sql.raw(`string_agg(${name}, chr(31))`),
  parseNumbers: (text) => (text ? (JSON.parse(`[${text}]`) as number[]) : []),
  parseNames: (text) => (text ? text.split(NAME_SEPARATOR) : []),
};

function columnsOf(db: Db): ColumnCodec {
  return engineOf(db) === 'postgres' ? joinedColumns : jsonColumns;
}

type ImageColumns = Record<'r' | 'i' | 'c' | 'p' | 'v' | 's', string | null>;
type TagColumns = Record<'m' | 'n', string | null>;

/**
 * Candidates from the columns of an image read and its tags, added to `byRepository`; the ones
 * added are returned too.
 */
function decode(
  codec: ColumnCodec,
  m: ImageColumns | undefined,
  t: TagColumns | undefined,
  byRepository: Map<number, ScannedImage[]>,
): ScannedImage[] {
  const col = codec.parseNumbers;
  const tagManifests = col(t?.m);
  const tagNames = codec.parseNames(t?.n);
  if (tagNames.length !== tagManifests.length) {
    throw new Error(
      `a read of tags did not line up (${tagNames.length} names, ${tagManifests.length} images)`,
    );
  }
  const tags = new Map<number, string[]>();
  for (let k = 0; k < tagManifests.length; k++) {
    const id = tagManifests[k] as number;
    const list = tags.get(id);
    if (list) list.push(tagNames[k] as string);
    else tags.set(id, [tagNames[k] as string]);
  }
  const repositoryIds = col(m?.r);
  const manifestIds = col(m?.i);
  const created = col(m?.c);
  const pushed = col(m?.p);
  const revisions = col(m?.v);
  const sizes = col(m?.s);
  const read: ScannedImage[] = [];
  for (let k = 0; k < manifestIds.length; k++) {
    const id = manifestIds[k] as number;
    const image: ScannedImage = {
      key: id,
      digest: '',
      tags: tags.get(id) ?? [],
      // created_sort is the created time, or 0 when the config has none: the domain's order
      // treats a missing time as the epoch too.
      createdAt: created[k] as number,
      pushedAt: pushed[k] as number,
      revision: revisions[k] as number,
      sizeBytes: sizes[k] as number,
    };
    const repositoryId = repositoryIds[k] as number;
    const list = byRepository.get(repositoryId);
    if (list) list.push(image);
    else byRepository.set(repositoryId, [image]);
    read.push(image);
  }
  return read;
}

const INDEX_TYPES = sql.join([MANIFEST_MEDIA_TYPES.ociIndex, MANIFEST_MEDIA_TYPES.dockerList]);

/**
 * Each candidate's last successful scan (lastScanOf, a part at a time), for rules with the scan protection: one
 * query for the candidates that `candidates` (a condition on manifests `m`) selects, in the
 * same packed columns as the image read. Its parts are what the scanner scans: an image
 * manifest without an artifact type (so with an image config), or each such platform image of
 * an index. Not parts: artifacts, nested indexes, and the attestation manifests BuildKit adds
 * to an index (platform unknown/unknown, the OCI convention), which hold provenance rather
 * than a filesystem and would keep every such index "unscanned" for ever. Of each part, the
 * newest complete result of that very digest counts, as the scans store matches results (they
 * outlive images); 0 when it has none, which no real scan time is. A candidate without parts
 * has no row and stays "nothing to scan".
 */
async function fillLastScans(
  db: Db,
  candidates: RawBuilder<unknown>,
  read: readonly ScannedImage[],
): Promise<void> {
  if (read.length === 0) return;
  const codec = columnsOf(db);
  // One pass over the candidates: an index's platform images come from a join that only an
  // index's rows take, so a plain image costs one lookup of its row (for its kind and digest)
  // and one seek of scan_results_newest, which answers the newest complete time by itself.
  const result = await sql<Record<'c' | 't', string | null>>`
    SELECT ${codec.numbers('candidate')} AS c, ${codec.numbers('scanned')} AS t FROM (
      SELECT p.candidate, coalesce((
        SELECT max(s.generated_at) FROM scan_results s
        WHERE s.manifest_id = p.part AND s.status = 'complete' AND s.digest = p.digest
      ), 0) AS scanned
      FROM (
        SELECT m.id AS candidate, coalesce(c.id, m.id) AS part,
          coalesce(c.digest, m.digest) AS digest
        FROM manifests m
          LEFT JOIN manifest_children mc
            ON mc.parent_id = m.id AND m.media_type IN (${INDEX_TYPES})
          LEFT JOIN manifests c ON c.id = mc.child_id
        WHERE ${candidates} AND CASE WHEN m.media_type IN (${INDEX_TYPES})
          THEN c.id IS NOT NULL AND c.artifact_type IS NULL AND c.media_type NOT IN (${INDEX_TYPES})
            AND coalesce(c.platform_os, '') <> 'unknown'
          ELSE m.artifact_type IS NULL END
      ) AS p
    ) AS q`.execute(db);
  const row = result.rows[0];
  const ids = codec.parseNumbers(row?.c);
  const times = codec.parseNumbers(row?.t);
  if (ids.length !== times.length) {
    throw new Error(
      `a read of scans did not line up (${ids.length} images, ${times.length} times)`,
    );
  }
  // Folded into each image as its rows come (an index has a row per platform): a list of parts
  // per image cost twice as much at a million images.
  const byId = new Map<number, ScannedImage>();
  for (const image of read) byId.set(image.key, image);
  for (let k = 0; k < ids.length; k++) {
    const image = byId.get(ids[k] as number);
    if (image) image.lastScannedAt = withScannedPart(image.lastScannedAt, times[k] || null);
  }
}

/**
 * Digests are 70 characters a row, and the rules need them only to break a tie of created and
 * pushed time (and to match pointers by digest, read per repository by the caller). So they
 * are read for tied images only; every other candidate's digest stays empty, which the order
 * never compares.
 */
async function fillTiedDigests(db: Db, byRepository: Map<number, ScannedImage[]>): Promise<void> {
  const tied: ScannedImage[] = [];
  for (const images of byRepository.values()) {
    const order = [...images].sort(
      (a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.pushedAt - a.pushedAt,
    );
    for (let k = 1; k < order.length; k++) {
      const a = order[k - 1] as ScannedImage;
      const b = order[k] as ScannedImage;
      if (a.createdAt === b.createdAt && a.pushedAt === b.pushedAt) {
        if (tied.at(-1) !== a) tied.push(a);
        tied.push(b);
      }
    }
  }
  await fillDigests(db, tied);
}

async function fillDigests(db: Db, images: readonly ScannedImage[]): Promise<void> {
  if (images.length === 0) return;
  const byId = new Map(images.map((i) => [i.key, i]));
  for (const chunk of chunks([...byId.keys()])) {
    const rows = await db
      .selectFrom('manifests')
      .select(['id', 'digest'])
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) {
      const image = byId.get(r.id);
      if (image) image.digest = r.digest;
    }
  }
}
