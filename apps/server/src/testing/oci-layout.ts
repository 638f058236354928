import fs from 'node:fs';
import path from 'node:path';
import {
  buildImage,
  buildIndex,
  buildLayer,
  buildSignature,
  MEDIA_TYPES,
  sha256Digest,
  type BuiltBlob,
  type BuiltManifest,
} from '../seed/oci-content.js';

/**
 * OCI image layouts (image-spec image-layout.md) built from the seed builders, so tests can hand
 * real content to a real client (`skopeo copy oci:<dir>:<ref> docker://...`) and compare what
 * comes back byte for byte.
 */

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

// A fixed default keeps a seed's manifest digest stable from run to run.
const DEFAULT_CREATED = new Date('2024-01-01T00:00:00.000Z');

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export interface RandomImageOptions {
  seed: string;
  layers: number;
  layerBytes: number;
  created?: Date;
  /** Set it for images that will be children of an index. */
  platform?: PlatformSpec;
}

/** An image whose gzip layers are incompressible random bytes derived from the seed. */
export function randomImage(opts: RandomImageOptions): BuiltManifest {
  const layers = Array.from({ length: opts.layers }, (_, i) =>
    buildLayer(`${opts.seed}:layer:${i}`, opts.layerBytes),
  );
  return buildImage({
    seed: opts.seed,
    created: opts.created ?? DEFAULT_CREATED,
    layers,
    platform: opts.platform,
  });
}

export interface RandomIndexOptions {
  seed: string;
  platforms: PlatformSpec[];
  /** Layers per child image; defaults to 1. */
  layers?: number;
  /** Approximate size of each child layer; defaults to 4 KiB. */
  layerBytes?: number;
  created?: Date;
}

/** A multi-arch index with one random child image per platform. */
export function randomIndex(opts: RandomIndexOptions): BuiltManifest {
  const children = opts.platforms.map((platform) =>
    randomImage({
      seed: `${opts.seed}:${platformKey(platform)}`,
      layers: opts.layers ?? 1,
      layerBytes: opts.layerBytes ?? 4096,
      created: opts.created,
      platform,
    }),
  );
  return buildIndex(children);
}

function platformKey(platform: PlatformSpec): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * A cosign-style signature: an OCI image manifest with `artifactType`, the OCI empty config and
 * `subject` pointing at the signed manifest, which is exactly `buildSignature`. skopeo 1.9.3
 * copies it byte for byte because it only interprets the config when asked to convert the
 * manifest (`--format v2s2` fails: "unsupported image-specific operation on artifact"). The
 * OCI 1.1-rc artifact manifest media type is no alternative: skopeo cannot even find it in a
 * layout ("no descriptor found for reference").
 */
export function signatureFor(subject: BuiltManifest, seed: string): BuiltManifest {
  return buildSignature(subject, seed);
}

/** The `sha256-<hex>.sig` tag cosign uses for a subject's signature. */
export function cosignSignatureTag(subject: { digest: string }): string {
  return `${subject.digest.replace(':', '-')}.sig`;
}

/**
 * Every blob a manifest needs in a layout or registry: children first, then config and layers,
 * then the manifest itself, each once even when layers are shared.
 */
export function allBlobs(manifest: BuiltManifest): BuiltBlob[] {
  const byDigest = new Map<string, BuiltBlob>();
  collectBlobs(manifest, byDigest);
  return [...byDigest.values()];
}

function collectBlobs(manifest: BuiltManifest, into: Map<string, BuiltBlob>): void {
  for (const child of manifest.children) collectBlobs(child, into);
  for (const blob of [manifest.config, ...manifest.layers]) {
    if (blob) into.set(blob.digest, blob);
  }
  into.set(manifest.digest, {
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    bytes: manifest.bytes,
  });
}

export interface LayoutEntry {
  manifest: BuiltManifest;
  ref: string;
}

export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface LayoutIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: LayoutDescriptor[];
}

/** Writes a complete layout; an existing index.json in `dir` is replaced, blobs are kept. */
export function writeLayout(dir: string, entries: LayoutEntry[]): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const entry of entries) {
    for (const blob of allBlobs(entry.manifest)) writeBlob(dir, blob);
  }
  const index: LayoutIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: entries.map(layoutDescriptor),
  };
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
}

function layoutDescriptor({ manifest, ref }: LayoutEntry): LayoutDescriptor {
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.length,
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    annotations: { [REF_NAME_ANNOTATION]: ref },
  };
}

function writeBlob(dir: string, blob: BuiltBlob): void {
  const file = blobPath(dir, blob.digest);
  // Content-addressed: an existing file already holds these bytes.
  if (!fs.existsSync(file)) fs.writeFileSync(file, blob.bytes);
}

function blobPath(dir: string, digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match?.[1]) throw new Error(`not a sha256 digest: ${digest}`);
  return path.join(dir, 'blobs', 'sha256', match[1]);
}

export interface Layout {
  manifests: LayoutDescriptor[];
  /** Descriptors by their `org.opencontainers.image.ref.name`. */
  refs: Map<string, LayoutDescriptor>;
}

/** Parses index.json of a layout, for instance one `skopeo copy ... oci:<dir>:<ref>` wrote. */
export function readLayout(dir: string): Layout {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as LayoutIndex;
  const refs = new Map<string, LayoutDescriptor>();
  for (const descriptor of index.manifests) {
    const ref = descriptor.annotations?.[REF_NAME_ANNOTATION];
    if (ref !== undefined) refs.set(ref, descriptor);
  }
  return { manifests: index.manifests, refs };
}

/** The manifest digest tagged `ref` in the layout's index.json. */
export function layoutRefDigest(dir: string, ref: string): string {
  const descriptor = readLayout(dir).refs.get(ref);
  if (!descriptor) throw new Error(`no ref "${ref}" in ${path.join(dir, 'index.json')}`);
  return descriptor.digest;
}

/** A blob's bytes, checked against its digest so a corrupt copy cannot pass a comparison. */
export function layoutBlob(dir: string, digest: string): Buffer {
  const bytes = fs.readFileSync(blobPath(dir, digest));
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new Error(`blob ${digest} in ${dir} hashes to ${actual}`);
  return bytes;
}

/** Whether the layout holds a blob, for checking what a copy did or did not bring along. */
export function layoutHasBlob(dir: string, digest: string): boolean {
  return fs.existsSync(blobPath(dir, digest));
}
