import { Duplex, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import type { CollectedFile, CollectedFiles } from './types.js';
import { guardZstdWindows } from './zstd-window.js';

/** One layer blob of an image, in the manifest's order. */
export interface LayerSource {
  digest: string;
  mediaType: string;
  open(): Promise<NodeJS.ReadableStream | Readable>;
}

/** How much a layer may ask of the scanner before it is refused. */
export interface WalkLimits {
  /** Decompressed bytes per layer. */
  maxLayerBytes: number;
  /** Decompressed bytes per compressed byte, checked once `ratioCheckAfter` bytes are out. */
  maxRatio: number;
  ratioCheckAfter: number;
  /** Tar entries per layer, of any type. */
  maxEntries: number;
  /**
   * Content kept across the whole image, every version counted: readers that want many
   * files (every executable, for Go) must not hold an unbounded amount in memory.
   */
  maxKeptBytes: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
  maxLayerBytes: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioCheckAfter: 64 * 1024 ** 2,
  maxEntries: 2_000_000,
  maxKeptBytes: 512 * 1024 ** 2,
};

/** A wanted file that was not kept. */
export interface SkippedFile {
  path: string;
  layer: string;
  size: number;
  reason: string;
}

/** The maximum number of bytes to keep of this regular file, or false to pass it by. */
export type WantsFile = (path: string, size: number, mode: number) => number | false;

/**
 * A layer that cannot be read as a filesystem changeset: corrupt, truncated, or beyond the
 * limits. The scan of the image fails with this; it is the image's fault, not the scanner's.
 */
export class LayerRejectedError extends Error {
  constructor(
    readonly layer: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`layer ${layer} rejected: ${reason}`, options);
    this.name = 'LayerRejectedError';
  }
}

/**
 * Applies the layers in order, as a container runtime would, and keeps the content of the
 * regular files that `wants` asks for. Nothing is written to disk and a layer is never held
 * in memory: each is streamed through its decompressor and tar parser once.
 */
export async function collectFiles(
  layers: readonly LayerSource[],
  wants: WantsFile,
  limits: Partial<WalkLimits> = {},
): Promise<{ files: CollectedFiles; skipped: SkippedFile[] }> {
  // A limit passed as undefined keeps its default rather than switching the check off.
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  const effective: WalkLimits = { ...DEFAULT_WALK_LIMITS, ...Object.fromEntries(given) };
  const tree = new CollectedTree();
  const skipped: SkippedFile[] = [];
  let keptBytes = 0;
  for (const [index, layer] of layers.entries()) {
    tree.startLayer(index);
    await walkLayer(layer, effective, async (header, entry) => {
      if (header.type === null) {
        // tar-stream reads no type beyond POSIX's, so it cannot tell where an old-style GNU
        // sparse entry (`S`) ends when its map runs over into extension blocks: the next
        // "header" it found could be a file no runtime extracts. Docker and containerd refuse
        // every other unknown type too.
        throw new LayerRejectedError(
          layer.digest,
          `the tar entry ${quoted(header.name)} has a type the scanner cannot read ` +
            '(an old-style GNU sparse file, or a type container runtimes do not extract)',
        );
      }
      const sparse = sparseFile(header);
      const path = pathInRoot(layer.digest, sparse?.name ?? header.name);
      if (path === '') return drain(entry);
      if (applyWhiteout(tree, path)) return drain(entry);
      if (header.type === 'directory') {
        tree.placeDirectory(path);
        return drain(entry);
      }
      if (header.type === 'link' && header.linkname !== null) {
        pathInRoot(layer.digest, header.linkname, 'links to');
      }
      if (sparse) {
        // What a sparse file holds is spread over a map of its data and holes; rebuilding it
        // would mean holding its declared size (10 GiB costs a hostile layer a few bytes).
        // It replaces what was at its path, like any entry, and is reported if wanted.
        tree.placeOther(path);
        if (wants(path, sparse.size, header.mode & 0o7777) !== false) {
          skipped.push({
            path,
            layer: layer.digest,
            size: sparse.size,
            reason: 'a sparse file, which the scanner does not expand',
          });
        }
        return drain(entry);
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        // Symlinks and hard links are never followed (a loop is then just two entries), but
        // they do replace whatever the lower layers had at their path.
        tree.placeOther(path);
        return drain(entry);
      }
      const size = header.size;
      const mode = header.mode & 0o7777;
      const keep = wants(path, size, mode);
      if (keep === false) {
        tree.placeOther(path);
        return drain(entry);
      }
      const tooLarge =
        size > keep
          ? `larger than the ${keep} bytes kept for this file`
          : keptBytes + size > effective.maxKeptBytes
            ? `over the ${effective.maxKeptBytes} bytes kept for the whole image`
            : null;
      if (tooLarge) {
        tree.placeOther(path);
        skipped.push({ path, layer: layer.digest, size, reason: tooLarge });
        return drain(entry);
      }
      keptBytes += size;
      const content = await readAll(entry, keep);
      tree.placeFile({ path, content, layer: layer.digest, mode });
    });
    tree.endLayer();
  }
  return { files: tree.files(), skipped };
}

/** The whiteout prefix of AUFS, which the OCI image spec adopted for deletions. */
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * Whiteouts delete what lower layers put at a path (image-spec layer.md, "Whiteouts"); the
 * whiteout entry itself never appears in the filesystem. Returns whether `path` was one.
 */
function applyWhiteout(tree: CollectedTree, path: string): boolean {
  const slash = path.lastIndexOf('/');
  const parent = slash === -1 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT)) return false;
  if (base === OPAQUE) {
    tree.deleteLowerChildren(parent);
  } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
    // Other `.wh..wh.` names are AUFS bookkeeping (hard-link and metadata dirs): hidden only.
    const target = base.slice(WHITEOUT.length);
    tree.deleteLower(parent === '' ? target : `${parent}/${target}`);
  }
  return true;
}

/**
 * The wanted files of the filesystem being built, and the versions each had. Only wanted
 * regular files are tracked, so every other entry matters only for what it replaces.
 */
class CollectedTree {
  private readonly current = new Map<string, { file: CollectedFile; layerIndex: number }>();
  /** How many tracked files lie below each directory, to find subtrees without a scan. */
  private readonly below = new Map<string, number>();
  private readonly versions = new Map<string, CollectedFile[]>();
  /** Paths whose last version in `versions` was deleted since; the next one starts afresh. */
  private readonly deletedSinceVersion = new Set<string>();
  private readonly placedThisLayer = new Set<string>();
  private layerIndex = -1;
  /** What the lower layers left, which is all that this layer's whiteouts may delete. */
  private lowerPaths: ReadonlySet<string> = new Set();
  private lowerDirs: ReadonlySet<string> = new Set();

  startLayer(index: number): void {
    this.layerIndex = index;
    this.placedThisLayer.clear();
    this.lowerPaths = new Set(this.current.keys());
    this.lowerDirs = new Set(this.below.keys());
  }

  endLayer(): void {
    for (const path of this.placedThisLayer) {
      const placed = this.current.get(path);
      if (!placed) continue;
      const file = this.deletedSinceVersion.delete(path)
        ? { ...placed.file, recreated: true as const }
        : placed.file;
      this.current.set(path, { file, layerIndex: this.layerIndex });
      const history = this.versions.get(path);
      if (history) history.push(file);
      else this.versions.set(path, [file]);
    }
  }

  /** A new version of a file continues the old one; only deletions break the chain. */
  placeFile(file: CollectedFile): void {
    this.untrackAncestors(file.path);
    this.untrack(file.path, { continued: true });
    this.untrackBelow(file.path);
    this.current.set(file.path, { file, layerIndex: this.layerIndex });
    this.placedThisLayer.add(file.path);
    for (const dir of ancestors(file.path)) this.below.set(dir, (this.below.get(dir) ?? 0) + 1);
  }

  /**
   * Anything but a directory replaces what was at its path, a directory included with all it
   * held (image-spec layer.md, "Changeset over existing files"); and every ancestor of any
   * entry is a directory, so files tracked there are gone.
   */
  placeOther(path: string): void {
    this.untrackAncestors(path);
    this.untrack(path);
    this.untrackBelow(path);
  }

  /** A directory over a directory only takes its attributes; over a file, it replaces it. */
  placeDirectory(path: string): void {
    this.untrackAncestors(path);
    this.untrack(path);
  }

  deleteLower(path: string): void {
    if (this.lowerPaths.has(path)) this.deleteLowerFile(path);
    if (this.lowerDirs.has(path)) this.deleteLowerChildren(path);
  }

  /** Whiteouts apply to lower layers only, wherever they sit in this layer's tar. */
  deleteLowerChildren(dir: string): void {
    if (dir !== '' && !this.lowerDirs.has(dir)) return;
    for (const path of this.lowerPaths) {
      if (dir === '' || path.startsWith(`${dir}/`)) this.deleteLowerFile(path);
    }
  }

  /**
   * Marked even when this layer already put a new file there: the spec applies whiteouts
   * first, so that file is a re-creation, not a continuation of the lower one.
   */
  private deleteLowerFile(path: string): void {
    this.deletedSinceVersion.add(path);
    this.untrack(path, { lowerOnly: true });
  }

  /** In path order, so that what readers find does not depend on the order of tar entries. */
  files(): CollectedFiles {
    const byPath = <T>(entries: Iterable<[string, T]>) =>
      new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      final: byPath([...this.current].map(([path, { file }]) => [path, file])),
      history: byPath(this.versions),
    };
  }

  private untrackAncestors(path: string): void {
    for (const dir of ancestors(path)) this.untrack(dir);
  }

  private untrackBelow(dir: string): void {
    if (!this.below.has(dir)) return;
    for (const path of [...this.current.keys()]) {
      if (path.startsWith(`${dir}/`)) this.untrack(path);
    }
  }

  /**
   * `lowerOnly`: leave what this layer itself placed, as whiteouts must. `continued`: a new
   * version of the file takes its place, which is no deletion.
   */
  private untrack(path: string, how: { lowerOnly?: boolean; continued?: boolean } = {}): void {
    const tracked = this.current.get(path);
    if (!tracked) return;
    if (how.lowerOnly && tracked.layerIndex === this.layerIndex) return;
    this.current.delete(path);
    this.placedThisLayer.delete(path);
    if (!how.continued && tracked.layerIndex < this.layerIndex) {
      this.deletedSinceVersion.add(path);
    }
    for (const dir of ancestors(path)) {
      const count = (this.below.get(dir) ?? 0) - 1;
      if (count > 0) this.below.set(dir, count);
      else this.below.delete(dir);
    }
  }
}

function* ancestors(path: string): Generator<string> {
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    yield path.slice(0, slash);
  }
}

/**
 * Entry names as the filesystem would resolve them below the root: `./a`, `/a` and `a/b/../a`
 * all name `a`; `''` is the root itself. Null for a name whose `..` climbs above the root.
 */
export function normalizePath(name: string): string | null {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return null;
  }
  return parts.join('/');
}

/** Linux's limit on a path given to a system call, which is how runtimes extract a layer. */
const PATH_MAX = 4096;

/**
 * A layer with an entry (or a hard link's target) above the root is refused. Docker refuses
 * to apply such a layer ("is outside of"); containerd puts the entry at the root instead.
 * Nothing is extracted here either way, but a scan that picked one reading would list, for
 * `../../var/lib/dpkg/status`, packages that one of them never installs: failing the scan
 * says that the layer is hostile. Absolute names are not that: every runtime extracts
 * `/etc/passwd` to the root's etc.
 */
function pathInRoot(layer: string, name: string, what = 'names'): string {
  const bytes = Buffer.byteLength(name);
  if (bytes > PATH_MAX) {
    // No runtime can create such a path, and walking one costs time in its length: a 4 MiB
    // PAX name of 2 million directories held the event loop for a second.
    throw new LayerRejectedError(
      layer,
      `a tar entry ${what} a path of ${bytes} bytes, over Linux's ${PATH_MAX}: ${quoted(name)}`,
    );
  }
  const path = normalizePath(name);
  if (path === null) {
    throw new LayerRejectedError(
      layer,
      `a tar entry ${what} ${quoted(name)}, outside the image's root (a path traversal)`,
    );
  }
  return path;
}

/** The image's own text in a message: escaped, and short enough to store with the result. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/**
 * GNU tar's PAX sparse formats (0.0, 0.1 and 1.0) store a sparse file as a regular entry
 * holding only its data: 0.1 and 1.0 under a made-up name (`…/GNUSparseFile.<pid>/status`)
 * with the real one in `GNU.sparse.name`. tar-stream knows none of them (nor the old GNU `S`
 * type, which it reports with type null), so each would be read as some other file.
 */
function sparseFile(header: Header): { name: string | undefined; size: number } | null {
  // tar-stream puts the entry's PAX records there; its types say only `{}`.
  const pax = header.pax as Record<string, string> | null | undefined;
  if (!pax || !Object.keys(pax).some((key) => key.startsWith('GNU.sparse.'))) return null;
  const declared = Number(pax['GNU.sparse.realsize'] ?? pax['GNU.sparse.size']);
  return {
    name: pax['GNU.sparse.name'],
    size: Number.isSafeInteger(declared) && declared >= 0 ? declared : (header.size ?? 0),
  };
}

type Compression = 'gzip' | 'zstd' | 'none';

/**
 * The media type says how a layer is compressed, but pushed images carry generic or wrong
 * ones (`application/octet-stream`, a gzip type on a plain tar), so the magic bytes decide
 * when present. zstd skippable frames have their own magic, so for them the type decides.
 */
function compressionOf(mediaType: string, head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length < 4) return 'none';
  const magic = head.readUInt32LE(0);
  if (magic === 0xfd2fb528) return 'zstd';
  const skippableFrame = (magic & 0xfffffff0) >>> 0 === 0x184d2a50;
  if (skippableFrame && mediaType.endsWith('zstd')) return 'zstd';
  return 'none';
}

/** Failures of the blob store, told apart from a bad layer: those are the scanner's. */
class SourceError extends Error {
  constructor(readonly original: unknown) {
    super('layer source failed', { cause: original });
  }
}

type Entry = Extract extends AsyncIterable<infer Source> ? Source : never;
type EntryHandler = (header: Header, entry: Entry) => Promise<void>;

async function walkLayer(layer: LayerSource, limits: WalkLimits, onEntry: EntryHandler) {
  const source = await layer.open();
  const counts = { compressed: 0, decompressed: 0, entries: 0 };
  const { head, chunks } = await peek(source, 4, counts).catch((error: unknown) => {
    throw error instanceof SourceError ? error.original : error;
  });
  const compression = compressionOf(layer.mediaType, head);
  const extract = tarExtract();
  const aborting = new AbortController();
  const pumping = pipeline(
    [
      Readable.from(chunks, { objectMode: false }),
      ...(compression === 'gzip' ? [createGunzip()] : compression === 'zstd' ? [zstdStream()] : []),
      limitStream(layer.digest, limits, counts),
      extract,
    ],
    { signal: aborting.signal },
  );
  // The entry loop reports the first failure; the pipeline's own rejection would be a copy.
  pumping.catch(() => undefined);
  try {
    for await (const entry of extract) {
      counts.entries += 1;
      if (counts.entries > limits.maxEntries) {
        throw new LayerRejectedError(layer.digest, `more than ${limits.maxEntries} tar entries`);
      }
      await onEntry(entry.header, entry);
    }
    await pumping;
  } catch (error) {
    aborting.abort();
    throw rejection(layer.digest, compression, error);
  }
}

function rejection(layer: string, compression: Compression, error: unknown): unknown {
  if (error instanceof LayerRejectedError) return error;
  if (error instanceof SourceError) return error.original;
  const format = compression === 'none' ? 'tar' : `${compression}-compressed tar`;
  const detail = error instanceof Error ? error.message : String(error);
  return new LayerRejectedError(layer, `not a readable ${format} archive: ${detail}`, {
    cause: error,
  });
}

/** Reads the first `size` bytes to sniff, then gives back the whole stream, counted. */
async function peek(
  source: NodeJS.ReadableStream | Readable,
  size: number,
  counts: { compressed: number },
): Promise<{ head: Buffer; chunks: AsyncGenerator<Buffer> }> {
  const iterator = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let buffered = 0;
  let ended = false;
  const next = async (): Promise<Buffer | null> => {
    try {
      const result = await iterator.next();
      if (result.done) return null;
      const chunk = typeof result.value === 'string' ? Buffer.from(result.value) : result.value;
      counts.compressed += chunk.length;
      return chunk;
    } catch (error) {
      throw new SourceError(error);
    }
  };
  while (buffered < size) {
    const chunk = await next();
    if (chunk === null) {
      ended = true;
      break;
    }
    first.push(chunk);
    buffered += chunk.length;
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* first;
      if (ended) return;
      for (let chunk = await next(); chunk !== null; chunk = await next()) yield chunk;
    } finally {
      await iterator.return?.();
    }
  }
  return { head: Buffer.concat(first), chunks: chunks() };
}

/**
 * Counts what comes out of the decompressor and stops a layer that grows beyond reason: a
 * decompression bomb must fail the scan, not exhaust the scanner.
 */
function limitStream(
  layer: string,
  limits: WalkLimits,
  counts: { compressed: number; decompressed: number },
): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counts.decompressed += chunk.length;
      if (counts.decompressed > limits.maxLayerBytes) {
        callback(
          new LayerRejectedError(layer, `more than ${limits.maxLayerBytes} bytes decompressed`),
        );
        return;
      }
      if (
        counts.decompressed > limits.ratioCheckAfter &&
        counts.decompressed > limits.maxRatio * counts.compressed
      ) {
        callback(
          new LayerRejectedError(
            layer,
            `decompresses to more than ${limits.maxRatio} times its size ` +
              `(${counts.decompressed} bytes from ${counts.compressed}): a decompression bomb`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
}

/**
 * fzstd decodes every block that a pushed chunk completes before it returns, and a 4-byte RLE
 * block stands for 128 KiB: pushed whole, one 64 KiB chunk of them would be 2 GiB in memory
 * before the size limits saw a byte of it. Pushed in slices of this many bytes, one push makes
 * at most 16 blocks (2 MiB), and the next waits until the tar parser has taken them. Slicing
 * costs nothing measurable: fzstd holds back the pieces of a block until it is whole.
 */
const ZSTD_SLICE = 64;

/** fzstd only offers a push decoder; this puts it in a pipeline, with backpressure. */
function zstdStream(): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    let decoded: Buffer[] = [];
    // fzstd reuses its block buffers, so each piece is copied before it leaves.
    const decoder = new Decompress((data) => {
      if (data.length > 0) decoded.push(Buffer.from(data));
    });
    guardZstdWindows(decoder);
    const taken = () => {
      const pieces = decoded;
      decoded = [];
      return pieces;
    };
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; at += ZSTD_SLICE) {
        decoder.push(chunk.subarray(at, at + ZSTD_SLICE));
        if (decoded.length > 0) yield* taken();
      }
    }
    // A stream cut short inside a frame throws "unexpected EOF" here.
    decoder.push(new Uint8Array(0), true);
    yield* taken();
  });
}

function drain(entry: Entry): Promise<void> {
  return readEntry(entry, null).then(() => undefined);
}

function readAll(entry: Entry, maxBytes: number): Promise<Buffer> {
  return readEntry(entry, maxBytes).then((content) => content ?? Buffer.alloc(0));
}

/** `keep`: at most that many bytes are held, or none at all when null. */
function readEntry(entry: Entry, keep: number | null): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let held = 0;
    let ended = false;
    entry.on('data', (data) => {
      if (keep === null || held >= keep) return;
      const chunk = data as Buffer;
      const part = chunk.length > keep - held ? chunk.subarray(0, keep - held) : chunk;
      chunks.push(part);
      held += part.length;
    });
    entry.on('end', () => {
      ended = true;
      resolve(keep === null ? null : Buffer.concat(chunks, held));
    });
    entry.on('error', reject);
    // A tar cut short inside an entry closes it without an end.
    entry.on('close', () => {
      if (!ended) reject(new Error('tar entry cut short'));
    });
  });
}
