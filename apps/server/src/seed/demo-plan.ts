import { createHash } from 'node:crypto';
import {
  buildImage,
  buildIndex,
  buildLayer,
  buildSignature,
  buildTagSignature,
  type BuiltBlob,
  type BuiltManifest,
  createRandom,
} from './oci-content.js';

export interface DemoImage {
  manifest: BuiltManifest;
  tags: string[];
  pushedAt: number;
  trashed: null | { deletedAt: number; reason: 'deleted' | 'repository-deleted' };
  referrers: BuiltManifest[];
  /** Signatures stored cosign's tag way (`sha256-<hex>.sig`), without a subject. */
  tagSignatures?: BuiltManifest[];
}
export interface DemoRepository {
  name: string;
  images: DemoImage[];
}
export interface DemoNamespace {
  name: string;
  region: string;
  quotaBytes: number | null;
  repositories: DemoRepository[];
}
export interface DemoPlan {
  namespaces: DemoNamespace[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Months of history: enough for retention previews to have something to keep and to drop. */
const HISTORY = 120 * DAY;

// Shared base layers carry most of the demo's bytes once, the way real images share a distro
// and a runtime; per-image layers stay small so the whole demo remains a few MiB.
const BASE_LAYERS = {
  debian: 1.6 * MiB,
  alpine: 0.35 * MiB,
  node: 1.1 * MiB,
  python: 1.2 * MiB,
  postgres: 0.8 * MiB,
  nginx: 0.45 * MiB,
  'busybox-amd64': 0.3 * MiB,
  'busybox-arm64': 0.3 * MiB,
  'busybox-armv7': 0.3 * MiB,
} as const;
type BaseLayer = keyof typeof BASE_LAYERS;

interface TrashSpec {
  /** Position from the oldest image. */
  index: number;
  daysAgo: number;
}

interface RepositorySpec {
  name: string;
  count: number;
  base: BaseLayer[];
  firstVersion: [number, number, number];
  /** Tag the newest release `stable` as well. */
  stable?: boolean;
  /** Sign the newest N live images with a cosign-style referrer. */
  signed?: number;
  /** Sign the newest live tagged image the older cosign way, with a `sha256-<hex>.sig` tag. */
  tagSigned?: boolean;
  trash?: TrashSpec[];
  /** Every image was trashed together when the repository was deleted this many days ago. */
  repositoryDeletedDaysAgo?: number;
  /**
   * The newest image before the deletion held `latest` and was trashed; a later push took
   * `latest`, so restoring the trashed image must report that tag as held by another image.
   */
  latestTakenAfterTrash?: { daysAgo: number };
  /** Reproducible builds (SOURCE_DATE_EPOCH) give several images one created time. */
  sameCreated?: { from: number; count: number; samePushed?: boolean };
}

interface NamespaceSpec {
  name: string;
  quotaBytes: number | null;
  repositories: RepositorySpec[];
}

const PLAN: NamespaceSpec[] = [
  {
    name: 'demo-shop',
    quotaBytes: 2 * GiB,
    repositories: [
      {
        name: 'frontend',
        count: 42,
        base: ['debian', 'node'],
        firstVersion: [1, 0, 0],
        stable: true,
        trash: [
          { index: 4, daysAgo: 5 },
          { index: 9, daysAgo: 5 },
        ],
        sameCreated: { from: 20, count: 2 },
      },
      {
        name: 'backend/api',
        count: 15,
        base: ['debian', 'node'],
        firstVersion: [2, 3, 0],
        signed: 1,
        latestTakenAfterTrash: { daysAgo: 3 },
      },
      { name: 'backend/worker', count: 9, base: ['debian', 'python'], firstVersion: [0, 9, 0] },
      {
        name: 'payments',
        count: 12,
        base: ['alpine'],
        firstVersion: [1, 4, 0],
        stable: true,
        signed: 2,
        tagSigned: true,
      },
      { name: 'nginx', count: 6, base: ['debian', 'nginx'], firstVersion: [1, 27, 0] },
    ],
  },
  {
    name: 'demo-data',
    quotaBytes: null,
    repositories: [
      { name: 'etl/ingest', count: 14, base: ['debian', 'python'], firstVersion: [0, 4, 0] },
      { name: 'etl/transform', count: 8, base: ['debian', 'python'], firstVersion: [0, 2, 0] },
      {
        name: 'postgres',
        count: 10,
        base: ['debian', 'postgres'],
        firstVersion: [16, 1, 0],
        trash: [{ index: 1, daysAgo: 7 }],
      },
      {
        name: 'notebooks',
        count: 5,
        base: ['debian', 'python'],
        firstVersion: [0, 1, 0],
        repositoryDeletedDaysAgo: 4,
      },
      { name: 'models/bert', count: 7, base: ['debian', 'python'], firstVersion: [1, 0, 0] },
    ],
  },
  {
    name: 'demo-infra',
    quotaBytes: 512 * MiB,
    repositories: [
      {
        name: 'base/debian',
        count: 12,
        base: ['debian'],
        firstVersion: [12, 5, 0],
        stable: true,
        signed: 1,
        sameCreated: { from: 4, count: 3 },
      },
      { name: 'base/alpine', count: 14, base: ['alpine'], firstVersion: [3, 19, 0] },
      {
        name: 'tools/ci-runner',
        count: 30,
        base: ['debian'],
        firstVersion: [0, 30, 0],
        sameCreated: { from: 11, count: 2, samePushed: true },
      },
      { name: 'monitoring/prometheus', count: 9, base: ['alpine'], firstVersion: [2, 50, 0] },
    ],
  },
];

const BUSYBOX_RELEASES = [
  { version: '1.36.0', platforms: ['amd64', 'arm64'], daysAgo: 95 },
  { version: '1.36.1', platforms: ['amd64', 'arm64', 'armv7'], daysAgo: 52 },
  { version: '1.37.0', platforms: ['amd64', 'arm64', 'armv7'], daysAgo: 9, latest: true },
] as const;

const PLATFORMS = {
  amd64: { os: 'linux', architecture: 'amd64', variant: null },
  arm64: { os: 'linux', architecture: 'arm64', variant: null },
  armv7: { os: 'linux', architecture: 'arm', variant: 'v7' },
} as const;

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

type Random = () => number;

const between = (random: Random, min: number, max: number) => min + (max - min) * random();
const second = (ms: number) => Math.floor(ms / SECOND) * SECOND;

/** 1–40 KiB, skewed small like most application layers. */
function uniqueLayerSize(random: Random): number {
  return Math.round(KiB + 39 * KiB * random() ** 2);
}

function createdTimes(spec: RepositorySpec, anchor: number, random: Random): number[] {
  const start = anchor - HISTORY;
  const end = anchor - 2 * HOUR;
  const times = Array.from({ length: spec.count }, () => second(between(random, start, end)));
  times.sort((a, b) => a - b);
  if (spec.sameCreated) {
    const { from, count } = spec.sameCreated;
    for (let i = from + 1; i < from + count; i++) times[i] = times[from]!;
  }
  if (spec.latestTakenAfterTrash) {
    // The push that took `latest` must come after the deletion.
    times[times.length - 1] = second(anchor - between(random, 6 * HOUR, 30 * HOUR));
  }
  return times;
}

/** Successive releases: mostly patch bumps, sometimes a minor one. */
function versioning(first: [number, number, number]): (random: Random) => string {
  let current: [number, number, number] | null = null;
  return (random) => {
    if (current === null) current = first;
    else if (random() < 0.25) current = [current[0], current[1] + 1, 0];
    else current = [current[0], current[1], current[2] + 1];
    return current.join('.');
  };
}

function buildRepository(
  spec: RepositorySpec,
  namespace: string,
  anchor: number,
  base: (name: BaseLayer) => BuiltBlob,
): DemoRepository {
  const path = `${namespace}/${spec.name}`;
  const random = createRandom(`plan:${path}`);
  const times = createdTimes(spec, anchor, random);
  const nextVersion = versioning(spec.firstVersion);
  const usedTags = new Set<string>();
  const unique = (make: () => string) => {
    for (;;) {
      const tag = make();
      if (!usedTags.has(tag)) {
        usedTags.add(tag);
        return tag;
      }
    }
  };
  let pr = 100 + Math.floor(random() * 300);

  const images: DemoImage[] = [];
  let releaseIndex: number | null = null;
  let previousPushedAt = 0;
  for (let i = 0; i < spec.count; i++) {
    const createdAt = times[i]!;
    const revision = hex(`${path}#${i}:revision`, 40);
    const kind = random();
    let tags: string[];
    let version: string | null = null;
    if (kind < 0.2 && i < spec.count - 1) {
      tags = [];
    } else if (kind < 0.45) {
      version = unique(() => nextVersion(random));
      tags = [version];
      releaseIndex = i;
    } else if (kind < 0.8) {
      tags = [unique(() => `main-${revision.slice(0, 7)}`)];
    } else {
      tags = [unique(() => `pr-${(pr += 1 + Math.floor(random() * 12))}`)];
    }

    const sameAsPrevious =
      spec.sameCreated?.samePushed === true &&
      i > spec.sameCreated.from &&
      i < spec.sameCreated.from + spec.sameCreated.count;
    // Pushed a little after the build finished; ties on both times are kept on purpose so the
    // digest tie-break of retention has something to decide.
    const pushedAt = sameAsPrevious
      ? previousPushedAt
      : createdAt + second(between(random, 30 * SECOND, 20 * MINUTE));
    previousPushedAt = pushedAt;

    const layers = [
      ...spec.base.map(base),
      buildLayer(`${path}#${i}:app`, uniqueLayerSize(random)),
      ...(random() < 0.4 ? [buildLayer(`${path}#${i}:assets`, uniqueLayerSize(random))] : []),
    ];
    const manifest = buildImage({
      seed: `${path}#${i}`,
      created: new Date(createdAt),
      layers,
      labels: {
        'org.opencontainers.image.source': `https://git.example.com/${path}`,
        'org.opencontainers.image.revision': revision,
        ...(version ? { 'org.opencontainers.image.version': version } : {}),
      },
    });
    images.push({ manifest, tags, pushedAt, trashed: null, referrers: [] });
  }

  for (const { index, daysAgo } of spec.trash ?? []) {
    const image = images[index]!;
    image.trashed = { deletedAt: trashTime(anchor, daysAgo, image.pushedAt), reason: 'deleted' };
  }
  if (spec.repositoryDeletedDaysAgo !== undefined) {
    const latestPush = Math.max(...images.map((image) => image.pushedAt));
    const deletedAt = trashTime(anchor, spec.repositoryDeletedDaysAgo, latestPush);
    for (const image of images) image.trashed = { deletedAt, reason: 'repository-deleted' };
  }
  if (spec.latestTakenAfterTrash) {
    const victim = images[images.length - 2]!;
    victim.tags.push('latest');
    victim.trashed = {
      deletedAt: trashTime(anchor, spec.latestTakenAfterTrash.daysAgo, victim.pushedAt),
      reason: 'deleted',
    };
  }

  const live = images.filter((image) => image.trashed === null);
  const newest = live[live.length - 1];
  if (newest) newest.tags.push('latest');
  if (spec.stable && releaseIndex !== null) {
    const release = images[releaseIndex]!;
    if (release.trashed === null) release.tags.push('stable');
  }
  const signed = spec.signed ?? 0;
  if (signed > 0) {
    for (const image of live.filter((image) => image.tags.length > 0).slice(-signed)) {
      image.referrers.push(buildSignature(image.manifest, `${path}@${image.manifest.digest}`));
    }
  }
  if (spec.tagSigned) {
    const target = live.filter((image) => image.tags.length > 0).at(-1);
    if (target) {
      target.tagSignatures = [
        buildTagSignature(target.manifest, `${path}@${target.manifest.digest}`),
      ];
    }
  }
  return { name: spec.name, images };
}

/** A deletion `daysAgo` days before the anchor, and always after the image was pushed. */
function trashTime(anchor: number, daysAgo: number, pushedAt: number): number {
  return Math.max(second(anchor - daysAgo * DAY + 3 * HOUR + 17 * MINUTE), pushedAt + HOUR);
}

function buildBusybox(anchor: number, base: (name: BaseLayer) => BuiltBlob): DemoRepository {
  const path = 'demo-infra/multiarch/busybox';
  const images = BUSYBOX_RELEASES.map((release): DemoImage => {
    // buildx pushes every platform of a release from one build, with one created time.
    const createdAt = second(anchor - release.daysAgo * DAY + 5 * HOUR);
    const children = release.platforms.map((arch) =>
      buildImage({
        seed: `${path}:${release.version}:${arch}`,
        created: new Date(createdAt),
        layers: [
          base(`busybox-${arch}`),
          buildLayer(`${path}:${release.version}:${arch}:etc`, 2 * KiB + release.version.length),
        ],
        platform: PLATFORMS[arch],
        labels: { 'org.opencontainers.image.version': release.version },
      }),
    );
    const manifest = buildIndex(children);
    const tags: string[] = [release.version];
    if ('latest' in release && release.latest) tags.push('latest');
    return {
      manifest,
      tags,
      pushedAt: createdAt + 4 * MINUTE,
      trashed: null,
      referrers:
        'latest' in release && release.latest
          ? [buildSignature(manifest, `${path}@${manifest.digest}`)]
          : [],
    };
  });
  return { name: 'multiarch/busybox', images };
}

/**
 * A nested index, the way some toolchains publish variants: one top index whose entries are
 * themselves indexes (a slim and a debug flavour, each multi-arch). It is one image.
 */
function buildToolbox(anchor: number, base: (name: BaseLayer) => BuiltBlob): DemoRepository {
  const path = 'demo-infra/multiarch/toolbox';
  const createdAt = second(anchor - 12 * DAY + 2 * HOUR);
  const flavour = (name: string, archs: readonly ('amd64' | 'arm64')[]) =>
    buildIndex(
      archs.map((arch) =>
        buildImage({
          seed: `${path}:${name}:${arch}`,
          created: new Date(createdAt),
          layers: [
            base(`busybox-${arch}`),
            buildLayer(`${path}:${name}:${arch}:tools`, 3 * KiB + name.length),
          ],
          platform: PLATFORMS[arch],
          labels: { 'org.opencontainers.image.version': `2.1.0-${name}` },
        }),
      ),
    );
  const manifest = buildIndex([flavour('slim', ['amd64', 'arm64']), flavour('debug', ['amd64'])]);
  return {
    name: 'multiarch/toolbox',
    images: [
      {
        manifest,
        tags: ['2.1.0', 'latest'],
        pushedAt: createdAt + 6 * MINUTE,
        trashed: null,
        referrers: [],
      },
    ],
  };
}

/**
 * The demo registry's contents: about 200 images across three namespaces, with tags, untagged
 * images, a multi-arch repository, signatures and a few trashed images.
 *
 * Times are laid out backwards from the start of `now`'s UTC day, so every build on the same
 * day yields byte-identical blobs and manifests (and the same digests), while the history
 * still looks recent whenever the demo is started.
 */
export function buildDemoPlan(now: number): DemoPlan {
  const anchor = Math.floor(now / DAY) * DAY;
  const baseCache = new Map<BaseLayer, BuiltBlob>();
  const base = (name: BaseLayer): BuiltBlob => {
    let layer = baseCache.get(name);
    if (!layer) {
      layer = buildLayer(`base:${name}`, Math.round(BASE_LAYERS[name]));
      baseCache.set(name, layer);
    }
    return layer;
  };

  return {
    namespaces: PLAN.map((namespace) => ({
      name: namespace.name,
      region: 'local',
      quotaBytes: namespace.quotaBytes,
      repositories: [
        ...namespace.repositories.map((spec) =>
          buildRepository(spec, namespace.name, anchor, base),
        ),
        ...(namespace.name === 'demo-infra'
          ? [buildBusybox(anchor, base), buildToolbox(anchor, base)]
          : []),
      ],
    })),
  };
}
