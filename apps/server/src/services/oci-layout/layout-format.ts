import { checkDigest, checkTag } from '@berth/domain';

/**
 * The OCI image layout as Berth writes and reads it (image-spec v1.1 image-layout.md and
 * annotations.md). Every image Berth exports is one descriptor in index.json:
 *
 * - a tagged image: `org.opencontainers.image.ref.name` = `<repository>:<tag>`, the repository
 *   relative to the namespace (`app:1.0`, `tools/build:latest`); one descriptor per tag. The
 *   annotation's grammar (`component ("/" component)*`, separators `-._:@+`) allows it, and
 *   skopeo/podman address it as `oci-archive:<file>:<repository>:<tag>` (they split the
 *   reference at the first colon, which is the file's, and look the rest up verbatim).
 * - an untagged image or a referrer (signature, SBOM): no ref name, only
 *   `io.berth.repository` = `<repository>`, so an import knows where it belongs and tools that
 *   walk index.json (oras, regclient) find referrers by their `subject`.
 *
 * Every tagged descriptor carries `io.berth.repository` too, so a ref name that is only a tag
 * (written by `skopeo copy … oci:<dir>:latest`) is not needed to find the repository.
 */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const REPOSITORY_ANNOTATION = 'io.berth.repository';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const OCI_LAYOUT_CONTENT = JSON.stringify({ imageLayoutVersion: '1.0.0' });
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** index.json is read whole: a bigger one is refused rather than parsed (one entry ≈ 300 bytes). */
export const MAX_INDEX_BYTES = 8 * 1024 * 1024;

export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface LayoutIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: LayoutDescriptor[];
}

/** `blobs/<alg>/<hex>` of a checked digest. */
export function blobEntryName(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm}/${hex}`;
}

/** The digest a `blobs/<alg>/<hex>` entry name stands for, or null when it is not one. */
export function digestOfEntryName(name: string): string | null {
  const match = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
  if (!match) return null;
  const digest = `${match[1]}:${match[2]}`;
  return checkDigest(digest).ok ? digest : null;
}

export function refName(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

/**
 * What a ref name says: `<repository>:<tag>` (Berth's scheme, and podman's `name:tag`), or a
 * bare `<tag>` (skopeo's `oci:<dir>:<tag>`) whose repository must come from elsewhere. A tag
 * cannot hold `:` or `/`, so the last colon separates them.
 */
export function parseRefName(ref: string): { repository: string | null; tag: string } | null {
  const colon = ref.lastIndexOf(':');
  const repository = colon === -1 ? null : ref.slice(0, colon);
  const tag = colon === -1 ? ref : ref.slice(colon + 1);
  if (!checkTag(tag).ok) return null;
  if (repository !== null && repository.length === 0) return null;
  return { repository, tag };
}

const TAR_BLOCK = 512;

function padded(size: number): number {
  return Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/**
 * Bytes tar-stream's pack writes for one header: a ustar header when the name fits its
 * name/prefix fields, else a pax header (path=…) first. Mirrors tar-stream 3 (headers.js
 * encode/encodePax) so an export's Content-Length is known before the first byte; a test
 * packs real entries to hold it to that.
 */
export function tarHeaderBytes(name: string): number {
  let rest = name;
  let prefix = '';
  while (rest.length > 100) {
    const slash = rest.indexOf('/');
    if (slash === -1) return paxHeaderBytes(name);
    prefix += prefix ? `/${rest.slice(0, slash)}` : rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  return prefix.length > 155 ? paxHeaderBytes(name) : TAR_BLOCK;
}

function paxHeaderBytes(name: string): number {
  const record = ` path=${name}\n`;
  const len = Buffer.byteLength(record);
  let digits = Math.floor(Math.log10(len)) + 1;
  if (len + digits >= 10 ** digits) digits++;
  return TAR_BLOCK + padded(len + digits) + TAR_BLOCK;
}

/** A regular file's share of a tar: its header(s) and its content padded to 512 bytes. */
export function tarFileBytes(name: string, size: number): number {
  return tarHeaderBytes(name) + padded(size);
}

/** The two zero blocks that end a tar. */
export const TAR_END_BYTES = 2 * TAR_BLOCK;
