import { InputError, NotFoundError } from './errors.js';
import { isDigest } from './names.js';

/**
 * Reading pushed manifests (OCI image-spec v1.1 and Docker schema 2). Only what the registry
 * needs is extracted; the bytes themselves are stored and served unchanged.
 */
export const MANIFEST_MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];

const INDEX_TYPES: readonly string[] = [
  MANIFEST_MEDIA_TYPES.ociIndex,
  MANIFEST_MEDIA_TYPES.dockerList,
];
const SUPPORTED: readonly string[] = Object.values(MANIFEST_MEDIA_TYPES);

/**
 * A manifest names a blob its repository cannot use. One answer whatever the reason (never
 * uploaded, stored only in another namespace, being deleted, file lost in a crash), so a push
 * cannot learn whether a digest exists elsewhere; the first such blob in manifest order.
 */
export function manifestBlobUnknown(repository: string, digest: string): NotFoundError {
  return new NotFoundError(
    'MANIFEST_BLOB_UNKNOWN',
    `blob ${digest} is not in ${repository}; upload it (or mount it) before the manifest`,
    { digest },
  );
}

/** The spec lets registries refuse larger manifests; 4 MiB is what it recommends accepting. */
/**
 * Whether a manifest is a container image with a filesystem, the thing a vulnerability scan
 * reads: an image manifest with an image config whose layers are (possibly compressed) tar
 * archives. BuildKit's attestation manifests (platform `unknown/unknown`) carry an image config
 * too, but in-toto statements as layers; artifacts have a config or artifact type of their own.
 * `application/octet-stream` is allowed: older tools label tar layers with it.
 */
export function hasFilesystem(m: ParsedManifest): boolean {
  return (
    m.kind === 'image' &&
    m.artifactType === null &&
    m.config !== null &&
    IMAGE_CONFIG_MEDIA_TYPES.includes(m.config.mediaType) &&
    m.layers.length > 0 &&
    m.layers.every((l) => FILESYSTEM_LAYER.test(l.mediaType))
  );
}

const FILESYSTEM_LAYER = /(^|[./])tar([.+]|$)|rootfs|^application\/octet-stream$/;

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** OCI 1.1: `artifactType`, else a non-image config media type (for referrers). */
  artifactType: string | null;
  /**
   * What the referrers API lists for this manifest (distribution-spec v1.1): `artifactType`
   * when set, else an image manifest's config media type (image configs included); an index
   * without one has none.
   */
  referrerArtifactType: string | null;
  config: Descriptor | null;
  /** Layers stored in this registry (foreign / non-distributable layers are not). */
  layers: Descriptor[];
  children: (Descriptor & {
    platform: { os: string; architecture: string; variant: string | null } | null;
  })[];
  subject: Descriptor | null;
  annotations: Record<string, string>;
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}

export function isSupportedManifestType(mediaType: string): boolean {
  return SUPPORTED.includes(mediaType);
}

function invalid(message: string): never {
  throw new InputError('MANIFEST_INVALID', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0 || mediaType.length > 255) {
    invalid(`${where}.mediaType must be a media type`);
  }
  if (typeof digest !== 'string' || !isDigest(digest)) {
    invalid(
      `${where}.digest must be a sha256 or sha512 digest ("sha256:" and 64 lowercase hex digits, or "sha512:" and 128)`,
    );
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    invalid(`${where}.size must be a non-negative integer`);
  }
  return { mediaType, digest, size };
}

function annotationsOf(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    invalid('annotations must map strings to strings');
  }
  return v as Record<string, string>;
}

function platformOf(v: unknown, where: string) {
  if (v === undefined) return null;
  if (!isObject(v) || typeof v.os !== 'string' || typeof v.architecture !== 'string') {
    invalid(`${where}.platform must have "os" and "architecture"`);
  }
  return {
    os: v.os,
    architecture: v.architecture,
    variant: typeof v.variant === 'string' ? v.variant : null,
  };
}

/** Layers the registry never stores: their bytes live at the URLs in the descriptor. */
function isForeign(mediaType: string): boolean {
  return mediaType.includes('foreign') || mediaType.includes('nondistributable');
}

/**
 * Parses manifest bytes pushed with `contentType`. The media type comes from the body's
 * `mediaType` when present (it must then agree with the header), else from the header.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    invalid('manifest is not valid UTF-8 JSON');
  }
  if (!isObject(doc)) invalid('manifest must be a JSON object');
  if (doc.schemaVersion !== 2) invalid('manifest schemaVersion must be 2');
  const header = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const declared = doc.mediaType;
  if (declared !== undefined && typeof declared !== 'string') invalid('mediaType must be a string');
  if (declared && header && SUPPORTED.includes(header) && declared !== header) {
    invalid(`manifest mediaType ${declared} does not match the Content-Type ${header}`);
  }
  const mediaType =
    declared ??
    (header && SUPPORTED.includes(header)
      ? header
      : Array.isArray(doc.manifests)
        ? MANIFEST_MEDIA_TYPES.ociIndex
        : MANIFEST_MEDIA_TYPES.ociManifest);
  if (!SUPPORTED.includes(mediaType)) {
    throw new InputError(
      'MANIFEST_INVALID',
      `manifest media type ${mediaType} is not supported; push an OCI image manifest or index, or a Docker schema 2 manifest or manifest list`,
    );
  }
  const artifactField = doc.artifactType;
  if (artifactField !== undefined && typeof artifactField !== 'string') {
    invalid('artifactType must be a string');
  }
  const subject = doc.subject === undefined ? null : descriptor(doc.subject, 'subject');
  const annotations = annotationsOf(doc.annotations);

  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) invalid('an index must have a "manifests" array');
    const children = doc.manifests.map((m: unknown, i: number) => {
      const d = descriptor(m, `manifests[${i}]`);
      // A child may be an index itself (nested indexes); the store limits how deep.
      if (!isSupportedManifestType(d.mediaType)) {
        invalid(`manifests[${i}] must be an image manifest or an index`);
      }
      return {
        ...d,
        platform: platformOf((m as Record<string, unknown>).platform, `manifests[${i}]`),
      };
    });
    return {
      mediaType,
      kind: 'index',
      artifactType: artifactField || null,
      referrerArtifactType: artifactField || null,
      config: null,
      layers: [],
      children,
      subject,
      annotations,
    };
  }

  const config = descriptor(doc.config, 'config');
  if (!Array.isArray(doc.layers)) invalid('an image manifest must have a "layers" array');
  const layers = doc.layers
    .map((l: unknown, i: number) => descriptor(l, `layers[${i}]`))
    .filter((l) => !isForeign(l.mediaType));
  // The spec treats an empty artifactType as a missing one.
  const artifactType =
    artifactField ||
    (IMAGE_CONFIG_MEDIA_TYPES.includes(config.mediaType) ? null : config.mediaType);
  return {
    mediaType,
    kind: 'image',
    artifactType,
    referrerArtifactType: artifactField || config.mediaType,
    config,
    layers,
    children: [],
    subject,
    annotations,
  };
}

/** `created` and platform from an image config blob; anything unreadable is simply absent. */
export function readImageConfig(bytes: Uint8Array): {
  createdAt: number | null;
  platform: { os: string; architecture: string; variant: string | null } | null;
} {
  try {
    const doc: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (!isObject(doc)) return { createdAt: null, platform: null };
    const created = typeof doc.created === 'string' ? Date.parse(doc.created) : NaN;
    return {
      createdAt: Number.isFinite(created) ? created : null,
      platform:
        typeof doc.os === 'string' && typeof doc.architecture === 'string'
          ? {
              os: doc.os,
              architecture: doc.architecture,
              variant: typeof doc.variant === 'string' ? doc.variant : null,
            }
          : null,
    };
  } catch {
    return { createdAt: null, platform: null };
  }
}
