import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { LayerSource } from '../services/scanning/inventory/layer-walker.js';

/*
 * Real layer blobs for the inventory tests: tar archives made by tar-stream, compressed by
 * zlib and by the zstd CLI as image builders do. Test-only; it lives here, not in
 * src/testing, only because the inventory is being written as one folder.
 */

export const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export type FixtureEntry =
  | { path: string; content: string | Buffer; mode?: number }
  | { path: string; type: 'directory' }
  | { path: string; type: 'symlink' | 'link'; target: string };

export async function tarOf(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const archive = pack();
  const done = collect(archive);
  for (const entry of entries) {
    if ('content' in entry) {
      archive.entry({ name: entry.path, mode: entry.mode ?? 0o644 }, entry.content);
    } else if (entry.type === 'directory') {
      archive.entry({ name: entry.path, type: 'directory', mode: 0o755 });
    } else {
      archive.entry({ name: entry.path, type: entry.type, linkname: entry.target });
    }
  }
  archive.finalize();
  return done;
}

export function gzip(bytes: Buffer): Buffer {
  return gzipSync(bytes);
}

export function zstd(bytes: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c'], { input: bytes });
}

/** A layer whose blob is `bytes`, named by its digest like a real one. */
export function layerOf(bytes: Buffer, mediaType: string): LayerSource {
  return {
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    mediaType,
    open: async () => Readable.from([bytes]),
  };
}

export async function gzipLayer(entries: readonly FixtureEntry[]): Promise<LayerSource> {
  return layerOf(gzip(await tarOf(entries)), OCI_GZIP);
}

/**
 * A gzip layer holding `size` bytes of zeros in one file, made as it is read so that a
 * layer of hundreds of MB costs only what the walker reads of it.
 */
export function zerosLayer(
  digest: string,
  files: readonly { path: string; size: number }[],
  after: readonly FixtureEntry[] = [],
): LayerSource {
  return {
    digest,
    mediaType: OCI_GZIP,
    open: async () => {
      const archive = pack();
      void (async () => {
        const zeros = Buffer.alloc(1024 * 1024);
        for (const file of files) {
          const sink = archive.entry({ name: file.path, size: file.size, mode: 0o644 });
          for (let left = file.size; left > 0; left -= zeros.length) {
            if (!sink.write(zeros.subarray(0, Math.min(left, zeros.length)))) {
              await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
            }
          }
          // streamx's end takes a last chunk; an empty one keeps the declared size.
          sink.end(Buffer.alloc(0));
        }
        for (const entry of after) {
          if ('content' in entry) archive.entry({ name: entry.path }, entry.content);
        }
        archive.finalize();
      })();
      return Readable.from(archive).pipe(createGzip({ level: 1 }));
    },
  };
}

function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  return (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
}
