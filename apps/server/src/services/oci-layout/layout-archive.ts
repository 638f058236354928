import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { digestAlgorithmOf } from '@berth/domain';
import {
  INDEX_FILE,
  MAX_INDEX_BYTES,
  OCI_LAYOUT_FILE,
  blobEntryName,
  digestOfEntryName,
} from './layout-format.js';

/** The input is not a readable OCI image layout: nothing of it is imported. */
export class LayoutError extends Error {}

/** oci-layout holds one small JSON object. */
const MAX_OCI_LAYOUT_BYTES = 4096;
/** A tar header block: an entry's data starts one block after its header. */
const TAR_BLOCK = 512;

/**
 * An OCI image layout being imported, wherever it is: a directory, or a tar read in place.
 * Every blob it hands out was checked against its digest (see the two constructors).
 */
export interface LayoutSource {
  /** oci-layout or index.json, whole; null when the layout has none. */
  readTopFile(name: typeof OCI_LAYOUT_FILE | typeof INDEX_FILE): Promise<Buffer | null>;
  /** The blob's size; LayoutError when it is missing or not what its digest says. */
  blobSize(digest: string): Promise<number>;
  /** The blob's bytes, streamed. */
  openBlob(digest: string): Readable;
  /** The blob's bytes, whole (manifests: the caller has checked the size). */
  readBlob(digest: string): Promise<Buffer>;
}

/**
 * A layout tar, read where it lies: nothing is unpacked, so an import needs no scratch space
 * the size of the archive (a 50 GiB archive in a /tmp that is memory would not fit). One
 * pass reads the whole tar, checking as it goes: only regular files and directories, no
 * absolute names or `..`, no links, every `blobs/<alg>/<hex>` hashing to its name, no entry
 * twice, index.json within MAX_INDEX_BYTES, and the tar complete (a truncated one fails). It
 * notes where each blob's bytes are; pushes then read them from there. Files outside the
 * layout (e.g. the manifest.json `docker save` adds) are skipped. Throws LayoutError on the
 * first problem.
 *
 * Where an entry's bytes start comes from tar-stream's `offset` (the entry's header
 * position). The registry checks every blob's digest again when it is pushed, so an archive
 * changed after this pass, or an offset that were wrong, is refused, never stored.
 */
export async function openLayoutTar(file: string): Promise<LayoutSource> {
  const extract = tar.extract();
  const seen = new Set<string>();
  const top = new Map<string, Buffer>();
  const blobs = new Map<string, { start: number; size: number }>();
  const reading = pipeline(fs.createReadStream(file), extract).catch((error: unknown) => {
    throw asLayoutError(error);
  });
  try {
    for await (const entry of extract) {
      const name = entryName(entry.header.name);
      const type = entry.header.type;
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        throw new LayoutError(
          `tar entry "${clip(entry.header.name)}" is a ${type ?? 'special file'}: a layout holds only regular files and directories`,
        );
      }
      if (seen.has(name)) throw new LayoutError(`tar entry "${clip(name)}" appears twice`);
      seen.add(name);
      const size = entry.header.size ?? 0;
      if (name === INDEX_FILE || name === OCI_LAYOUT_FILE) {
        const limit = name === INDEX_FILE ? MAX_INDEX_BYTES : MAX_OCI_LAYOUT_BYTES;
        if (size > limit) {
          throw new LayoutError(`${name} is ${size} bytes, more than the ${limit} Berth reads`);
        }
        top.set(name, await bytesOf(entry));
        continue;
      }
      const digest = digestOfEntryName(name);
      if (digest === null) {
        entry.resume();
        continue;
      }
      const start = entryDataOffset(entry);
      await requireDigest(entry, digest, `blob ${digest} in the archive`);
      blobs.set(digest, { start, size });
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => {});
    throw asLayoutError(error);
  }
  const located = (digest: string) => {
    const at = blobs.get(digest);
    if (!at) throw new LayoutError(`blob ${digest} is missing from the layout`);
    return at;
  };
  const open = (digest: string) => {
    const { start, size } = located(digest);
    // An empty range cannot be asked of createReadStream (end is inclusive).
    if (size === 0) return fs.createReadStream(file, { start: 0, end: -1 });
    return fs.createReadStream(file, { start, end: start + size - 1, highWaterMark: 1 << 20 });
  };
  return {
    readTopFile: async (name) => top.get(name) ?? null,
    blobSize: async (digest) => located(digest).size,
    openBlob: open,
    readBlob: (digest) => bytesOf(open(digest)),
  };
}

/** Where the bytes of a tar-stream entry begin in the archive. */
function entryDataOffset(entry: unknown): number {
  const offset = (entry as { offset?: unknown }).offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    // tar-stream is pinned; a version that stopped telling offsets fails every import here,
    // and the round-trip tests say so.
    throw new Error(
      'this tar-stream does not report entry offsets; the import cannot locate blobs',
    );
  }
  return offset + TAR_BLOCK;
}

/**
 * A layout directory given as is: its blobs are read in place, so each is checked (a regular
 * file, not a link, hashing to its name) before anything is pushed, once.
 */
export function openLayoutDirectory(dir: string): LayoutSource {
  const checked = new Map<string, number>();
  const fileOf = (digest: string) => path.join(dir, blobEntryName(digest));
  return {
    async readTopFile(name) {
      const file = path.join(dir, name);
      const stat = await fs.promises.lstat(file).catch(() => null);
      if (!stat) return null;
      const limit = name === INDEX_FILE ? MAX_INDEX_BYTES : MAX_OCI_LAYOUT_BYTES;
      if (!stat.isFile()) throw new LayoutError(`${name} in the layout is not a regular file`);
      if (stat.size > limit) {
        throw new LayoutError(`${name} is ${stat.size} bytes, more than the ${limit} Berth reads`);
      }
      return fs.promises.readFile(file);
    },
    async blobSize(digest) {
      const known = checked.get(digest);
      if (known !== undefined) return known;
      const stat = await fs.promises.lstat(fileOf(digest)).catch(() => null);
      if (!stat) throw new LayoutError(`blob ${digest} is missing from the layout`);
      if (!stat.isFile()) {
        throw new LayoutError(`blob ${digest} in the layout is not a regular file`);
      }
      await requireDigest(fs.createReadStream(fileOf(digest)), digest, `blob ${digest}`);
      checked.set(digest, stat.size);
      return stat.size;
    },
    openBlob: (digest) => fs.createReadStream(fileOf(digest), { highWaterMark: 1 << 20 }),
    readBlob: (digest) => fs.promises.readFile(fileOf(digest)),
  };
}

async function requireDigest(
  source: AsyncIterable<unknown>,
  digest: string,
  what: string,
): Promise<void> {
  const algorithm = digestAlgorithmOf(digest);
  const hash = createHash(algorithm);
  for await (const chunk of source) hash.update(chunk as Buffer);
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== digest) {
    throw new LayoutError(`${what} hashes to ${actual}: the archive is corrupt`);
  }
}

async function bytesOf(source: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function asLayoutError(error: unknown): Error {
  if (error instanceof LayoutError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unexpected end|invalid tar|checksum/i.test(message)) {
    return new LayoutError(`not a complete tar archive (${message})`);
  }
  return error instanceof Error ? error : new Error(message);
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** The entry's name inside the layout; refuses names that could land outside it. */
function entryName(raw: string): string {
  const name = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const parts = name.split('/');
  if (raw.startsWith('/') || raw.includes('\\') || raw.includes('\0') || parts.includes('..')) {
    throw new LayoutError(`tar entry "${clip(raw)}" points outside the layout`);
  }
  return name;
}
