import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { analyzeAfterBulkLoad } from './statistics.js';

/**
 * Synthetic bulk loader for benchmarks and scale tests: writes namespaces, repositories,
 * images (manifests), tags, blobs and manifest-blob links straight through raw prepared
 * statements, and sets every maintained counter from the rows it wrote. Deterministic for
 * a given seed. Metadata only: no blob files are written, so pulls of these images fail,
 * but every listing page works.
 */
export interface BulkLoadOptions {
  namespaces: number;
  /** Repository slots per namespace; the big repository takes one slot of the first. */
  repositoriesPerNamespace: number;
  /** Total images, including those of the big repository. */
  images: number;
  /** Images in the designated big repository `<first namespace>/big/monorepo`. */
  bigRepositoryImages: number;
  region: string;
  now: number;
  seed?: number;
  onProgress?(done: number): void;
}

export interface BulkLoadResult {
  namespaces: number;
  repositories: number;
  images: number;
  /** `namespace/repository` of the big repository. */
  bigRepository: string;
}

const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;
export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const BASE_LAYERS = 50;
const MAX_LAYER_POOL = 50_000;
const ROWS_PER_TRANSACTION = 50_000;
const DAY = 86_400_000;
/** Images were pushed over the two years before `now`. */
export const HISTORY = 730 * DAY;

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Splits `total` over `weights` proportionally, every share at least `min` when possible. */
function apportion(total: number, weights: number[], min: number): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const floor = total >= n * min ? min : 0;
  const rest = total - floor * n;
  const sum = weights.reduce((s, w) => s + w, 0);
  const shares = weights.map((w) => floor + Math.floor((rest * w) / sum));
  let left = total - shares.reduce((s, v) => s + v, 0);
  for (let i = 0; left > 0; i = (i + 1) % n, left--) shares[i] = (shares[i] ?? 0) + 1;
  return shares;
}

interface RepoPlan {
  namespaceIndex: number;
  name: string;
  images: number;
}

/** One image as the generator draws it; ids are the writer's business. */
export interface SyntheticImage {
  digest: string;
  mediaType: string;
  manifestSize: number;
  size: number;
  created: number | null;
  pushed: number;
  layers: number[];
  tags: string[];
}

/** A repository with its images, drawn lazily so a million of them never sit in memory. */
export interface SyntheticRepository {
  namespaceIndex: number;
  name: string;
  createdAt: number;
  images: Iterable<SyntheticImage>;
}

export interface SyntheticDataset {
  namespaces: { name: string; createdAt: number }[];
  layers: { digest: string; size: number }[];
  repositories: Iterable<SyntheticRepository>;
  bigRepository: string;
  repositoryCount: number;
}

/**
 * The dataset for `opts`, drawn from one seeded generator in a fixed order (each repository's
 * images must be consumed before the next repository is drawn), so every writer loads the same
 * rows for a given seed.
 */
export function syntheticDataset(opts: BulkLoadOptions): SyntheticDataset {
  const { namespaces, repositoriesPerNamespace, now } = opts;
  if (namespaces < 1 || repositoriesPerNamespace < 1) {
    throw new Error('bulk load needs at least one namespace and one repository per namespace');
  }
  const bigImages = Math.min(opts.bigRepositoryImages, opts.images);
  const random = rng(opts.seed ?? 1);
  const nsName = (i: number) => `bench-${pad(i + 1, 4)}`;
  const bigRepository = 'big/monorepo';

  // Plan repositories: slot 0 of namespace 0 is the big one; the other repositories share
  // the remaining images with a log-normal spread (a few large, many small).
  const plans: RepoPlan[] = [];
  for (let n = 0; n < namespaces; n++) {
    for (let r = 0; r < repositoriesPerNamespace; r++) {
      if (n === 0 && r === 0 && bigImages > 0) {
        plans.push({ namespaceIndex: 0, name: bigRepository, images: bigImages });
      } else {
        plans.push({
          namespaceIndex: n,
          name: `team-${pad(r % 40, 2)}/service-${pad(r, 4)}`,
          images: 0,
        });
      }
    }
  }
  const others = plans.filter((p) => p.images === 0);
  const weights = others.map(() => {
    const u = Math.max(random(), 1e-9);
    const v = random();
    return Math.exp(1.1 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  });
  apportion(opts.images - bigImages, weights, 1).forEach((count, i) => {
    const plan = others[i];
    if (plan) plan.images = count;
  });

  // Layer pool: a handful of shared base layers and many application layers.
  const poolSize = Math.max(BASE_LAYERS + 10, Math.min(MAX_LAYER_POOL, opts.images));
  const layers: { digest: string; size: number }[] = [];
  for (let k = 0; k < poolSize; k++) {
    layers.push({
      digest: sha256(`berth-bench-layer-${k}`),
      // base layers 2-60 MB, application layers 10 KB - 40 MB
      size:
        k < BASE_LAYERS
          ? Math.floor(2_000_000 + random() * 58_000_000)
          : Math.floor(10_000 + random() ** 3 * 40_000_000),
    });
  }

  const namespaceRows = Array.from({ length: namespaces }, (_, n) => ({
    name: nsName(n),
    createdAt: now - HISTORY - Math.floor(random() * 30 * DAY),
  }));

  function* images(plan: RepoPlan, start: number, end: number): Generator<SyntheticImage> {
    const nsKey = `${nsName(plan.namespaceIndex)}/${plan.name}`;
    const step = plan.images > 1 ? (end - start) / plan.images : 0;
    for (let i = 0; i < plan.images; i++) {
      const digest = sha256(`${nsKey}@${i}`);
      const pushed = Math.floor(start + i * step + random() * step);
      // Created from the config: builds are a few minutes to days older; ~3% have none.
      const created = random() < 0.03 ? null : pushed - Math.floor(random() * 2 * DAY);
      const manifestSize = 400 + Math.floor(random() * 2600);
      const configSize = 1500 + Math.floor(random() * 12_000);
      const base = Math.floor(random() * BASE_LAYERS);
      const appSpan = poolSize - BASE_LAYERS;
      const l2 = BASE_LAYERS + Math.floor(random() * appSpan);
      let l3 = BASE_LAYERS + Math.floor(random() * appSpan);
      if (l3 === l2) l3 = BASE_LAYERS + ((l2 - BASE_LAYERS + 1) % appSpan);
      const picked = [base, l2, l3];
      const size =
        manifestSize + configSize + picked.reduce((s, k) => s + (layers[k]?.size ?? 0), 0);
      const mediaType = MANIFEST_MEDIA_TYPES[random() < 0.8 ? 0 : 1];
      // ~70% tagged: a build tag, and for a third of those a release tag too.
      const tags: string[] = [];
      const isLatest = i === plan.images - 1;
      if (isLatest || random() < 0.7) {
        tags.push(`build-${i}`);
        if (isLatest) tags.push('latest');
        else if (random() < 0.35) {
          tags.push(`v${1 + Math.floor(i / 100_000)}.${Math.floor(i / 1000) % 100}.${i % 1000}`);
        }
      }
      yield { digest, mediaType, manifestSize, size, created, pushed, layers: picked, tags };
    }
  }

  function* repositories(): Generator<SyntheticRepository> {
    for (const plan of plans) {
      // A repository's history starts somewhere in the two years and runs until recently.
      const start = now - HISTORY + Math.floor(random() * HISTORY * 0.6);
      const end = now - Math.floor(random() * 20 * DAY);
      yield {
        namespaceIndex: plan.namespaceIndex,
        name: plan.name,
        createdAt: start,
        images: images(plan, start, end),
      };
    }
  }

  return {
    namespaces: namespaceRows,
    layers,
    repositories: repositories(),
    bigRepository: `${nsName(0)}/${bigRepository}`,
    repositoryCount: plans.length,
  };
}

export function bulkLoadSynthetic(
  raw: BetterSqlite3.Database,
  opts: BulkLoadOptions,
): BulkLoadResult {
  const { region, now } = opts;
  const data = syntheticDataset(opts);

  const previous = {
    synchronous: raw.pragma('synchronous', { simple: true }) as number,
    cacheSize: raw.pragma('cache_size', { simple: true }) as number,
    foreignKeys: raw.pragma('foreign_keys', { simple: true }) as number,
  };
  // The rows are consistent by construction (checked by the tests with foreign_key_check),
  // so skip the per-row foreign-key lookups and fsyncs during the load.
  raw.pragma('foreign_keys = OFF');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');

  const insertRegion = raw.prepare(
    'INSERT OR IGNORE INTO regions (name, created_at) VALUES (?, ?)',
  );
  const insertNamespace = raw.prepare(
    `INSERT INTO namespaces (name, region, quota_bytes, repository_count, image_count, size_bytes,
       trash_count, trash_size_bytes, created_at) VALUES (?, ?, NULL, 0, 0, 0, 0, 0, ?)`,
  );
  const insertRepository = raw.prepare(
    `INSERT INTO repositories (namespace_id, name, image_count, size_bytes, last_pushed_at, created_at)
     VALUES (?, ?, 0, 0, 0, ?)`,
  );
  const insertBlob = raw.prepare(
    'INSERT OR IGNORE INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)',
  );
  const insertManifest = raw.prepare(
    `INSERT INTO manifests (repository_id, digest, media_type, artifact_type, manifest_size,
       size_bytes, created_at, created_sort, pushed_at, subject_digest, platform_os,
       platform_architecture, platform_variant, top_level, state, listed, trash_entry_id)
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, 1, 'live', 1, NULL)`,
  );
  const insertLink = raw.prepare(
    'INSERT INTO manifest_blobs (manifest_id, blob_digest) VALUES (?, ?)',
  );
  const insertTag = raw.prepare(
    'INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (?, ?, ?, ?)',
  );
  const updateRepository = raw.prepare(
    'UPDATE repositories SET image_count = ?, size_bytes = ?, last_pushed_at = ? WHERE id = ?',
  );
  const updateNamespace = raw.prepare(
    `UPDATE namespaces SET repository_count = ?, image_count = ?, size_bytes = ?,
       trash_count = 0, trash_size_bytes = 0 WHERE id = ?`,
  );

  let inTransaction = false;
  let rowsInTransaction = 0;
  const begin = () => {
    raw.exec('BEGIN');
    inTransaction = true;
    rowsInTransaction = 0;
  };
  const maybeCommit = () => {
    if (rowsInTransaction >= ROWS_PER_TRANSACTION) {
      raw.exec('COMMIT');
      begin();
    }
  };

  // Into empty tables, building the secondary indexes once at the end is much faster than
  // maintaining them row by row (digests are random keys). Taken from the live schema, so
  // the loader follows whatever the migrations created.
  const deferred = raw.prepare('SELECT 1 FROM manifests LIMIT 1').get()
    ? []
    : (raw
        .prepare(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             AND tbl_name IN ('manifests', 'manifest_blobs', 'tags')`,
        )
        .all() as { name: string; sql: string }[]);
  for (const index of deferred) raw.exec(`DROP INDEX "${index.name}"`);

  let done = 0;
  try {
    begin();
    insertRegion.run(region, now - HISTORY - 30 * DAY);
    for (const layer of data.layers) {
      insertBlob.run(layer.digest, layer.size, LAYER_MEDIA_TYPE, now - HISTORY);
    }

    const namespaceIds: number[] = [];
    for (const ns of data.namespaces) {
      namespaceIds.push(Number(insertNamespace.run(ns.name, region, ns.createdAt).lastInsertRowid));
    }
    const nsTotals = namespaceIds.map(() => ({ repositories: 0, images: 0, bytes: 0 }));

    for (const repo of data.repositories) {
      const nsId = namespaceIds[repo.namespaceIndex] as number;
      const repoId = Number(insertRepository.run(nsId, repo.name, repo.createdAt).lastInsertRowid);
      let count = 0;
      let repoBytes = 0;
      let lastPushed = 0;
      for (const image of repo.images) {
        const manifestId = Number(
          insertManifest.run(
            repoId,
            image.digest,
            image.mediaType,
            image.manifestSize,
            image.size,
            image.created,
            image.created ?? 0,
            image.pushed,
          ).lastInsertRowid,
        );
        for (const k of image.layers) insertLink.run(manifestId, data.layers[k]?.digest);
        for (const tag of image.tags) insertTag.run(repoId, tag, manifestId, image.pushed);
        count++;
        repoBytes += image.size;
        if (image.pushed > lastPushed) lastPushed = image.pushed;
        rowsInTransaction++;
        done++;
        if (done % ROWS_PER_TRANSACTION === 0) opts.onProgress?.(done);
        maybeCommit();
      }
      updateRepository.run(count, repoBytes, lastPushed, repoId);
      const totals = nsTotals[repo.namespaceIndex];
      if (totals && count > 0) {
        totals.repositories++;
        totals.images += count;
        totals.bytes += repoBytes;
      }
    }
    namespaceIds.forEach((id, n) => {
      const t = nsTotals[n];
      if (t) updateNamespace.run(t.repositories, t.images, t.bytes, id);
    });
    raw.exec('COMMIT');
    inTransaction = false;
    if (done % ROWS_PER_TRANSACTION !== 0) opts.onProgress?.(done);
  } finally {
    if (inTransaction) raw.exec('ROLLBACK');
    for (const index of deferred) raw.exec(index.sql);
    raw.pragma(`cache_size = ${previous.cacheSize}`);
    raw.pragma(`synchronous = ${previous.synchronous}`);
    raw.pragma(`foreign_keys = ${previous.foreignKeys}`);
  }
  // The tables went from (nearly) empty to full in one go: statistics from before would
  // make the planner treat a million-image repository as a ten-row one.
  analyzeAfterBulkLoad(raw);
  raw.pragma('wal_checkpoint(TRUNCATE)');

  return {
    namespaces: data.namespaces.length,
    repositories: data.repositoryCount,
    images: done,
    bigRepository: data.bigRepository,
  };
}
