import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { LayerSource } from '../services/scanning/inventory/layer-walker.js';

/*
 * Real layer blobs for the inventory tests: tar archives made by tar-stream (and by GNU tar,
 * for its sparse formats), compressed by zlib and by the zstd CLI as image builders do; and
 * hostile ones, streamed as they are read so that a 10 GiB layer costs what the walker reads.
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

/** One 512-byte ustar header of a regular file; sizes from 8 GiB up in GNU's base-256. */
export function tarHeader(path: string, size: number, mode = 0o644): Buffer {
  const header = Buffer.alloc(512);
  header.write(path, 0, 100, 'utf8');
  header.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  if (size < 8 * 1024 ** 3) {
    header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  } else {
    header[124] = 0x80;
    for (let i = 135, rest = size; i > 124; i--, rest = Math.floor(rest / 256))
      header[i] = rest % 256;
  }
  header.write('00000000000\0', 136, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\x0000', 257, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/** A layer read from `chunks` as the walker pulls them, counting what it pulled. */
export function streamedLayer(
  digest: string,
  mediaType: string,
  chunks: () => Iterable<Buffer>,
): { layer: LayerSource; pulled: () => { chunks: number; bytes: number } } {
  const pulled = { chunks: 0, bytes: 0 };
  return {
    layer: {
      digest,
      mediaType,
      // Read on demand only, so that `pulled` is what the walker asked for.
      open: async () =>
        Readable.from(
          (function* () {
            for (const chunk of chunks()) {
              pulled.chunks += 1;
              pulled.bytes += chunk.length;
              yield chunk;
            }
          })(),
          { objectMode: false, highWaterMark: 0 },
        ),
    },
    pulled: () => ({ ...pulled }),
  };
}

/**
 * One file of `size` zeros as a gzip stream of many members, which gzip readers concatenate:
 * the tar header, then one member of `memberBytes` zeros (compressed once, ~1000:1) repeated,
 * then the end of the archive. Nothing of its size is ever held or written anywhere.
 */
export function zerosInGzipMembers(
  path: string,
  size: number,
  memberBytes = 64 * 1024 ** 2,
): { layer: LayerSource; pulled: () => { chunks: number; bytes: number } } {
  if (size % memberBytes !== 0 || memberBytes % 512 !== 0) {
    throw new Error('size must be a whole number of members, and members of tar blocks');
  }
  const member = gzipSync(Buffer.alloc(memberBytes), { level: 9 });
  return streamedLayer(`sha256:zeros-${size}`, OCI_GZIP, function* () {
    yield gzipSync(tarHeader(path, size));
    for (let written = 0; written < size; written += memberBytes) yield member;
    yield gzipSync(Buffer.alloc(1024));
  });
}

/**
 * A tar holding one file of `size` zeros, as one zstd frame of the smallest blocks zstd has
 * (RFC 8878, 3.1.1.2): a raw block for the tar header, then RLE blocks of 128 KiB, each 4
 * bytes long. The zstd CLI writes the same blocks for runs of zeros; 1 GiB takes 32 KiB.
 */
export function zstdZerosBomb(path: string, size: number): Buffer {
  const RAW = 0;
  const RLE = 1;
  const MAX_BLOCK = 128 * 1024;
  const blockHeader = (type: number, blockSize: number, last: boolean) => {
    const value = (blockSize << 3) | (type << 1) | (last ? 1 : 0);
    return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]);
  };
  const header = tarHeader(path, size);
  // Magic, a descriptor with no content size, no checksum and no dictionary, a 1 MiB window.
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 10 << 3])];
  parts.push(blockHeader(RAW, header.length, false), header);
  // The file's zeros, its padding to 512 and the two zero blocks that end the archive.
  const zeros = size + ((512 - (size % 512)) % 512) + 1024;
  for (let left = zeros; left > 0; left -= MAX_BLOCK) {
    const blockSize = Math.min(left, MAX_BLOCK);
    parts.push(blockHeader(RLE, blockSize, left <= MAX_BLOCK), Buffer.from([0]));
  }
  return Buffer.concat(parts);
}

export type SparseFormat = 'gnu' | 'pax-0.0' | 'pax-0.1' | 'pax-1.0';

/** Whether GNU tar is installed, which alone writes the sparse formats. */
export function hasGnuTar(): boolean {
  const version = spawnSync('tar', ['--version'], { encoding: 'utf8' });
  return version.status === 0 && version.stdout.includes('GNU tar');
}

/**
 * A tar made by GNU tar of one sparse file: `size` bytes declared, of which only the `data`
 * of each region is stored. The rest is a hole on disk too (ftruncate), so it costs no space.
 */
export function sparseTar(
  path: string,
  {
    size,
    regions,
    format,
  }: { size: number; regions: readonly { at: number; data: string }[]; format: SparseFormat },
): Buffer {
  const root = mkdtempSync(join(tmpdir(), 'berth-sparse-'));
  try {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'w');
    try {
      for (const region of regions) writeSync(fd, region.data, region.at);
      // The rest of the file is a hole, which GNU tar finds with SEEK_HOLE.
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    const formatArgs =
      format === 'gnu'
        ? ['--format=gnu']
        : ['--format=posix', `--sparse-version=${format.slice('pax-'.length)}`];
    return execFileSync('tar', ['--sparse', ...formatArgs, '-C', root, '-cf', '-', path], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The small Go program of testing/go-binary, and the toolchain that built it. */
export interface GoFixture {
  binary: Buffer;
  /** As `go env GOVERSION` names the toolchain: `go1.19.8`. */
  goVersion: string;
  /** Built by this run (Go is installed) rather than the checked-in copy. */
  fresh: boolean;
}

export const GO_FIXTURE_DIR = fileURLToPath(new URL('./go-binary/', import.meta.url));

export function hasGo(): boolean {
  return spawnSync('go', ['version']).status === 0;
}

/** The checked-in build of testing/go-binary, for machines without Go. */
export function checkedInGoFixture(): GoFixture {
  const binary = join(GO_FIXTURE_DIR, 'berth-fixture');
  return {
    binary: readFileSync(binary),
    goVersion: readFileSync(`${binary}.go-version`, 'utf8').trim(),
    fresh: false,
  };
}

let freshGoFixture: GoFixture | undefined;

/**
 * Built by testing/go-binary/build.sh when Go is installed, so that the reader is checked
 * against whatever toolchain the machine has; the checked-in build otherwise.
 */
export function goFixture(): GoFixture {
  if (!hasGo()) return checkedInGoFixture();
  if (!freshGoFixture) {
    const folder = mkdtempSync(join(tmpdir(), 'berth-go-fixture-'));
    try {
      const binary = join(folder, 'berth-fixture');
      execFileSync('sh', [join(GO_FIXTURE_DIR, 'build.sh'), binary], { stdio: 'pipe' });
      freshGoFixture = {
        binary: readFileSync(binary),
        goVersion: readFileSync(`${binary}.go-version`, 'utf8').trim(),
        fresh: true,
      };
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return freshGoFixture;
}
