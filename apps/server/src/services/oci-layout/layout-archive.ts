import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
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

/**
 * Unpacks a layout tar into `dir`, checking as it reads: only regular files and directories,
 * no absolute names or `..` (a tar must not write outside its directory), no links, every
 * `blobs/<alg>/<hex>` hashing to its name, no entry twice, index.json within MAX_INDEX_BYTES,
 * and the tar complete (a truncated one fails). Files outside the layout (e.g. the
 * manifest.json `docker save` adds) are skipped. Throws LayoutError on the first problem.
 */
export async function extractLayoutTar(file: string, dir: string): Promise<void> {
  const extract = tar.extract();
  const seen = new Set<string>();
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
      if (name === INDEX_FILE || name === OCI_LAYOUT_FILE) {
        const limit = name === INDEX_FILE ? MAX_INDEX_BYTES : MAX_OCI_LAYOUT_BYTES;
        if (entry.header.size > limit) {
          throw new LayoutError(
            `${name} is ${entry.header.size} bytes, more than the ${limit} Berth reads`,
          );
        }
        await pipeline(entry, fs.createWriteStream(path.join(dir, name)));
        continue;
      }
      const digest = digestOfEntryName(name);
      if (digest === null) {
        entry.resume();
        continue;
      }
      await writeVerifiedBlob(entry, dir, digest);
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => {});
    throw asLayoutError(error);
  }
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

async function writeVerifiedBlob(
  source: AsyncIterable<unknown>,
  dir: string,
  digest: string,
): Promise<void> {
  const target = path.join(dir, blobEntryName(digest));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const hash = createHash(digestAlgorithmOf(digest));
  await pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    }),
    // `wx`: a name seen twice was refused above, so an existing file is never overwritten.
    fs.createWriteStream(target, { flags: 'wx' }),
  );
  const actual = `${digestAlgorithmOf(digest)}:${hash.digest('hex')}`;
  if (actual !== digest) {
    throw new LayoutError(
      `blob ${digest} in the archive hashes to ${actual}: the archive is corrupt`,
    );
  }
}

/**
 * A layout directory given as is: its blobs are read in place, so each is checked (a regular
 * file, not a link, hashing to its name) before anything is pushed.
 */
export async function verifyLayoutBlob(dir: string, digest: string): Promise<number> {
  const file = path.join(dir, blobEntryName(digest));
  const stat = await fs.promises.lstat(file).catch(() => null);
  if (!stat) throw new LayoutError(`blob ${digest} is missing from the layout`);
  if (!stat.isFile()) throw new LayoutError(`blob ${digest} in the layout is not a regular file`);
  const hash = createHash(digestAlgorithmOf(digest));
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const actual = `${digestAlgorithmOf(digest)}:${hash.digest('hex')}`;
  if (actual !== digest) throw new LayoutError(`blob ${digest} hashes to ${actual}`);
  return stat.size;
}
