import { createCipheriv, createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
  cosignSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  cosignPayload: 'application/vnd.dev.cosign.simplesigning.v1+json',
} as const;

export interface BuiltBlob {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface Platform {
  os: string;
  architecture: string;
  variant: string | null;
}

export interface BuiltManifest {
  digest: string; // sha256 of bytes
  mediaType: string; // application/vnd.oci.image.manifest.v1+json | application/vnd.oci.image.index.v1+json
  artifactType: string | null;
  bytes: Buffer; // the exact manifest JSON bytes
  config: BuiltBlob | null; // null for an index
  layers: BuiltBlob[];
  children: BuiltManifest[]; // platform manifests of an index
  platform: Platform | null; // set on index children
  subject: string | null; // digest this manifest refers to (signatures)
  createdAt: number | null; // ms epoch from config "created"
}

export interface BuildImageOptions {
  seed: string;
  created: Date;
  layers: BuiltBlob[];
  /** Give it for images meant to be children of an index; they then carry `platform`. */
  platform?: { os: string; architecture: string; variant?: string | null };
  labels?: Record<string, string>;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(mediaType: string, bytes: Buffer): BuiltBlob {
  return { digest: sha256Digest(bytes), mediaType, bytes };
}

/** mulberry32: tiny, fast and good enough to make demo choices reproducible. */
export function createRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic incompressible bytes: an AES-256-CTR keystream keyed by the seed. Much faster
 * than hashing a counter for the megabytes the base layers need, and random enough that gzip
 * cannot shrink them, so demo sizes look like real layers.
 */
export function randomBytesFromSeed(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(length));
}

// ---------------------------------------------------------------------------------------------
// Layers: a ustar archive built by hand, gzip-compressed.

const TAR_BLOCK = 512;
// A fixed mtime keeps layer bytes independent of when the demo is built.
const TAR_MTIME = 1_700_000_000;

function writeField(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

/** Octal, zero-padded, NUL-terminated, as POSIX ustar numeric fields are. */
function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function tarHeader(name: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(TAR_BLOCK);
  // Demo names stay under 100 bytes, so the ustar `prefix` field is never needed.
  writeField(header, 0, 100, name);
  writeField(header, 100, 8, octal(mode, 8));
  writeField(header, 108, 8, octal(0, 8));
  writeField(header, 116, 8, octal(0, 8));
  writeField(header, 124, 12, octal(size, 12));
  writeField(header, 136, 12, octal(TAR_MTIME, 12));
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeField(header, 156, 1, '0');
  writeField(header, 257, 6, 'ustar\0');
  writeField(header, 263, 2, '00');
  writeField(header, 265, 32, 'root');
  writeField(header, 297, 32, 'root');
  let sum = 0;
  for (const byte of header) sum += byte;
  writeField(header, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}

export function buildTar(files: { name: string; content: Buffer; mode?: number }[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(tarHeader(file.name, file.content.length, file.mode ?? 0o644), file.content);
    const padding = (TAR_BLOCK - (file.content.length % TAR_BLOCK)) % TAR_BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(TAR_BLOCK * 2));
  return Buffer.concat(parts);
}

// diff_ids need the uncompressed tar's digest; remembering it avoids gunzipping shared base
// layers once per image that uses them. Keyed by digest so copies of a BuiltBlob still hit.
const diffIds = new Map<string, string>();

export function diffIdOf(layer: BuiltBlob): string {
  let diffId = diffIds.get(layer.digest);
  if (diffId === undefined) {
    // An uncompressed layer (or an attestation's in-toto statement) is its own diff.
    const gzipped = layer.bytes[0] === 0x1f && layer.bytes[1] === 0x8b;
    diffId = sha256Digest(gzipped ? gunzipSync(layer.bytes) : layer.bytes);
    diffIds.set(layer.digest, diffId);
  }
  return diffId;
}

/**
 * A real gzip-compressed tar with one or two regular files of pseudo-random content, about
 * `approxBytes` long in total. Same seed, same bytes (for a given zlib build).
 */
export function buildLayer(seed: string, approxBytes: number): BuiltBlob {
  const random = createRandom(`layer:${seed}`);
  const total = Math.max(1, Math.round(approxBytes));
  const tag = createHash('sha256').update(seed).digest('hex').slice(0, 12);
  const content = randomBytesFromSeed(`layer:${seed}`, total);
  const files =
    total >= 2048 && random() < 0.5
      ? (() => {
          const split = Math.floor(total * (0.2 + random() * 0.6));
          return [
            { name: `opt/berth-demo/${tag}/lib/data.bin`, content: content.subarray(0, split) },
            {
              name: `opt/berth-demo/${tag}/bin/app`,
              content: content.subarray(split),
              mode: 0o755,
            },
          ];
        })()
      : [{ name: `opt/berth-demo/${tag}/data.bin`, content }];
  const tar = buildTar(files);
  const layer = blob(MEDIA_TYPES.layer, gzipSync(tar));
  diffIds.set(layer.digest, sha256Digest(tar));
  return layer;
}

// ---------------------------------------------------------------------------------------------
// Manifests

function descriptor(item: { mediaType: string; digest: string; bytes: Buffer }) {
  return { mediaType: item.mediaType, digest: item.digest, size: item.bytes.length };
}

function toJsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function platformJson(platform: Platform) {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
  };
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64', variant: null };

export function buildImage(opts: BuildImageOptions): BuiltManifest {
  const random = createRandom(`image:${opts.seed}`);
  const platform: Platform = opts.platform
    ? {
        os: opts.platform.os,
        architecture: opts.platform.architecture,
        variant: opts.platform.variant ?? null,
      }
    : DEFAULT_PLATFORM;
  const created = opts.created.toISOString();
  const commands = [['/bin/app', 'serve'], ['/bin/app', 'worker'], ['/bin/sh']] as const;
  const config = blob(
    MEDIA_TYPES.config,
    toJsonBytes({
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {
        Env: [
          'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          // The seed makes every image's config, and so its digest, distinct even when two
          // images share layers, platform and created time.
          `BERTH_DEMO_BUILD=${createHash('sha256').update(opts.seed).digest('hex').slice(0, 16)}`,
        ],
        Cmd: [...(commands[Math.floor(random() * commands.length)] ?? commands[0])],
        WorkingDir: '/',
        ...(opts.labels && Object.keys(opts.labels).length > 0 ? { Labels: opts.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: opts.layers.map(diffIdOf) },
      history: opts.layers.map((_, i) => ({
        created,
        created_by: `berth-demo build step ${i + 1}`,
      })),
    }),
  );
  const bytes = toJsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptor(config),
    layers: opts.layers.map(descriptor),
    annotations: { 'org.opencontainers.image.created': created },
  });
  return {
    digest: sha256Digest(bytes),
    mediaType: MEDIA_TYPES.manifest,
    artifactType: null,
    bytes,
    config,
    layers: [...opts.layers],
    children: [],
    platform: opts.platform ? platform : null,
    subject: null,
    createdAt: opts.created.getTime(),
  };
}

function platformOf(child: BuiltManifest): Platform {
  if (child.platform) return child.platform;
  if (!child.config) throw new Error(`index child ${child.digest} has no config`);
  const parsed = JSON.parse(child.config.bytes.toString('utf8')) as {
    os: string;
    architecture: string;
    variant?: string;
  };
  return { os: parsed.os, architecture: parsed.architecture, variant: parsed.variant ?? null };
}

/**
 * An index has no config, so its `createdAt` is the newest child's: that is what a person
 * reading "created" for a multi-arch tag expects, and it is also written as the
 * `org.opencontainers.image.created` annotation so the registry can recover it from the bytes.
 */
export function buildIndex(children: BuiltManifest[]): BuiltManifest {
  if (children.length === 0) throw new Error('an image index needs at least one child');
  const createdTimes = children.flatMap((c) => (c.createdAt === null ? [] : [c.createdAt]));
  const createdAt = createdTimes.length > 0 ? Math.max(...createdTimes) : null;
  // A child index (a nested index) carries a platform only when one was given.
  const platformed = children.map((child) => ({
    ...child,
    platform: child.mediaType === MEDIA_TYPES.index ? child.platform : platformOf(child),
  }));
  const bytes = toJsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: platformed.map((child) => ({
      ...descriptor(child),
      ...(child.platform ? { platform: platformJson(child.platform) } : {}),
    })),
    ...(createdAt !== null
      ? { annotations: { 'org.opencontainers.image.created': new Date(createdAt).toISOString() } }
      : {}),
  });
  return {
    digest: sha256Digest(bytes),
    mediaType: MEDIA_TYPES.index,
    artifactType: null,
    bytes,
    config: null,
    layers: [],
    children: platformed,
    platform: null,
    subject: null,
    createdAt,
  };
}

const EMPTY_CONFIG = blob(MEDIA_TYPES.empty, Buffer.from('{}'));

/** The simple-signing payload cosign signs, naming the signed manifest. */
function cosignPayload(subject: BuiltManifest, seed: string) {
  return blob(
    MEDIA_TYPES.cosignPayload,
    toJsonBytes({
      critical: {
        identity: { 'docker-reference': 'berth.local/demo' },
        image: { 'docker-manifest-digest': subject.digest },
        type: 'cosign container image signature',
      },
      optional: { 'dev.berth.demo/seed': seed },
    }),
  );
}

/** A cosign-style signature as an OCI 1.1 artifact whose `subject` is the signed manifest. */
export function buildSignature(subject: BuiltManifest, seed: string): BuiltManifest {
  const payload = cosignPayload(subject, seed);
  // Not a real signature: the demo only needs referrer-shaped bytes, never verification.
  const signature = randomBytesFromSeed(`signature:${seed}:${subject.digest}`, 64).toString(
    'base64',
  );
  const bytes = toJsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: MEDIA_TYPES.cosignSignature,
    config: descriptor(EMPTY_CONFIG),
    layers: [
      {
        ...descriptor(payload),
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
    subject: descriptor(subject),
  });
  return {
    digest: sha256Digest(bytes),
    mediaType: MEDIA_TYPES.manifest,
    artifactType: MEDIA_TYPES.cosignSignature,
    bytes,
    config: { ...EMPTY_CONFIG, bytes: Buffer.from(EMPTY_CONFIG.bytes) },
    layers: [payload],
    children: [],
    platform: null,
    subject: subject.digest,
    createdAt: null,
  };
}

/**
 * A signature the way cosign stores it without the referrers API: an ordinary image manifest
 * (image config dated 0001-01-01, one simplesigning layer) tagged `sha256-<hex>.sig` in the
 * signed image's repository, with no `subject`.
 */
export function buildTagSignature(subject: BuiltManifest, seed: string): BuiltManifest {
  const payload = cosignPayload(subject, seed);
  const config = blob(
    MEDIA_TYPES.config,
    toJsonBytes({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [payload.digest] },
      config: {},
    }),
  );
  const signature = randomBytesFromSeed(`tag-signature:${seed}:${subject.digest}`, 64).toString(
    'base64',
  );
  const bytes = toJsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptor(config),
    layers: [
      {
        ...descriptor(payload),
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
  });
  return {
    digest: sha256Digest(bytes),
    mediaType: MEDIA_TYPES.manifest,
    artifactType: null,
    bytes,
    config,
    layers: [payload],
    children: [],
    platform: null,
    subject: null,
    createdAt: Date.parse('0001-01-01T00:00:00Z'),
  };
}
