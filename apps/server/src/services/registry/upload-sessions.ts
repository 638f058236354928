import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DigestAlgorithm, InputError, NotFoundError } from '@berth/domain';
import {
  type BlobDriver,
  STAGING_OWNER,
  type StagingSweep,
  asStorageFull,
  stagingOwnerEnded,
} from '@berth/store';
import type { UploadEncryption } from '../encryption/image-data.js';
import {
  decryptSegments,
  newHeader,
  parseHeader,
  planRange,
  SEGMENT_BYTES,
  segmentOffset,
} from '../encryption/segment-format.js';
import { type SegmentCipherPool, sharedCipherPool } from '../encryption/segment-cipher-pool.js';
import { HashingFileWriter, writevFully } from './hashing-file-writer.js';
import { SealingBatches } from './sealing-batches.js';
import { UploadSealer } from './upload-sealer.js';

/** Thrown when a chunk does not start where the upload stands; the protocol answers 416. */
export class UploadRangeError extends InputError {
  constructor(readonly offset: number) {
    super(
      'BLOB_UPLOAD_INVALID',
      `this upload has ${offset} bytes; the next chunk must start there`,
    );
  }
}

/** A session id or name that is no session (or not of this repository). */
export function unknownUpload(id: string): NotFoundError {
  return new NotFoundError(
    'BLOB_UPLOAD_UNKNOWN',
    `upload ${id.slice(0, 64)} does not exist or has ended`,
  );
}

/** What an upload's chunks arrived as, once the last one is in (see UploadSessions.seal). */
export interface SealedUpload {
  /** The content's digest, in the algorithm seal was asked for, and its size. */
  digest: string;
  size: number;
  /**
   * Lets go of the sealed upload without storing it (its digest or the quota refused it, or
   * recording the blob failed): waits for what the last chunk left running, and frees the
   * session for a retry or for `remove`. Never throws.
   */
  release(): Promise<void>;
  /**
   * Stores the content as blob `digest` (the caller has checked it and recorded the blob) and
   * ends the session. Content already stored is kept and the upload dropped.
   * `storeFile`: sessions staged as a local file (the filesystem's) hand the file to it
   * instead of moving it into the store themselves (encryption at rest); it must leave the
   * file gone. `encrypted`: the file is the upload's ciphertext under that key (format
   * version 2, complete and fsynced), not its plaintext. Sessions staged elsewhere ignore it.
   */
  publish(
    storeFile?: (
      file: string,
      encrypted?: { key: Buffer },
      /** Set when the file is fsynced already (the last chunk's sync): adopt need not again. */
      durable?: { size: number },
    ) => Promise<void>,
    /**
     * Sessions encrypted as they arrive and staged elsewhere (S3) ask it, before anything is
     * written at the blob's key, with the upload's key: 'store' when that became the blob's
     * key, 'stored' when the blob is stored encrypted already (the upload is dropped).
     */
    settleKey?: (uploadKey: Buffer) => Promise<'store' | 'stored'>,
  ): Promise<void>;
}

/**
 * Blob uploads in progress (distribution-spec's upload sessions): on the filesystem
 * (createUploadSessions) or, when blobs are in S3, as S3 multipart uploads whose state is in
 * the database (createS3UploadSessions).
 */
export interface UploadSessions {
  /**
   * `algorithm`: what the upload is hashed with on the way in. `oneShot`: the whole blob
   * comes in this request, and no client will resume it.
   */
  start(
    repository: string,
    algorithm?: DigestAlgorithm,
    opts?: { oneShot?: boolean },
  ): Promise<{ id: string }>;
  offset(id: string, repository: string): Promise<number>;
  /**
   * Appends a chunk. `start` (from Content-Range) must equal the current size; a chunk
   * arriving while another is still being written is out of order too (UploadRangeError). A
   * chunk is taken whole or not at all. `last`: the request that ends the upload (the PUT
   * with ?digest=), followed at once by `seal` in the same request.
   */
  append(
    id: string,
    repository: string,
    body: Readable,
    range: { start: number } | null,
    opts?: { last?: boolean },
  ): Promise<number>;
  /** The digest (in `algorithm`) and size of everything uploaded, to be published or released. */
  seal(id: string, repository: string, algorithm?: DigestAlgorithm): Promise<SealedUpload>;
  cancel(id: string, repository: string): Promise<void>;
  /** Removes an upload and everything it staged. */
  remove(id: string): Promise<void>;
  /**
   * What no session will use again (crashes leave it). With `dryRun` it is only counted. Run
   * at start-up and by GC.
   */
  sweepStray(opts?: { dryRun?: boolean }): Promise<StagingSweep>;
  /** Sessions idle since before `cutoff`: abandoned by their client. */
  stale(cutoff: number): Promise<{ id: string; bytes: number }[]>;
}

interface SessionMeta {
  repository: string;
  startedAt: number;
  updatedAt: number;
  /** What the client announced (`?digest-algorithm=`); absent means sha256. */
  algorithm?: DigestAlgorithm;
  /**
   * The process of a single-request upload (POST with ?digest=): its client never learns the
   * session, so once that process has ended the session is stray (see staging-owner).
   */
  owner?: string;
  /**
   * Present when the session is encrypted as it arrives (issue 18): its key wrapped by the
   * namespace's key, its header (the data file gets it when the upload finishes, so a session
   * that holds nothing yet stages no bytes), the segments sealed in the data file, and the
   * plaintext past them sealed on its own (base64). Written with each chunk: this meta is
   * what says a chunk is in.
   */
  encryption?: { key: string; header: string; segments: number; tail: string };
}

interface LiveState {
  /** The session's meta as this process last read or wrote it. */
  meta: SessionMeta;
  /** The running hash, in the session's algorithm. */
  hash: Hash;
  algorithm: DigestAlgorithm;
  offset: number;
  busy: boolean;
  /** Set by a last chunk: the fsync of the content, running while the blob is recorded. */
  synced?: Promise<void>;
  /** An encrypted session's state (see SessionMeta.encryption). */
  sealer?: UploadSealer;
  /**
   * An encrypted session's meta file as this process last wrote or read it (its inode: meta
   * is replaced by rename), to notice chunks another process took: the data file's size
   * does not tell, since a chunk may only change the sealed tail.
   */
  metaIno?: number;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const META_TMP = new RegExp(`^${UUID}\\.json\\.${UUID}\\.tmp$`);
/**
 * A data file without its meta, or a meta temp file, untouched for this long is left over: a
 * start or a meta write takes milliseconds, so anything older belongs to no session.
 */
const STRAY_AFTER_MS = 60_000;

/**
 * Blob uploads in progress, one file per session under `<dataDir>/uploads`, appended as
 * chunks arrive and hashed on the way in, so finishing a 1 GiB upload needs no second read
 * and memory stays flat. The running hash lives in this process; after a restart (or in
 * another process) it is rebuilt from the file once. It is sha256 unless the client announced
 * another algorithm when it started; a closing digest in an algorithm nobody announced costs
 * one read of the file.
 *
 * On a full disk a start or a chunk fails with StorageFullError and leaves nothing behind: a
 * failed start removes its files, a failed chunk is cut off again (the upload stays where it
 * was, so the client can retry once there is room). `sweepStray` removes what crashes leave.
 */
export function createUploadSessions(
  dataDir: string,
  clock: () => number,
  blobs: BlobDriver,
  opts: {
    /**
     * Whether the last chunk's fsync is worth starting for a plaintext session: not when the
     * file will be encrypted into another file (which is fsynced) and deleted; publish's
     * `storeFile` then makes the result durable itself. Yes when absent.
     */
    syncLast?: () => Promise<boolean>;
    /**
     * When present and encrypting, sessions started are encrypted as chunks arrive: no
     * plaintext of an upload reaches the disk, and the staged ciphertext becomes the blob.
     */
    encryption?: UploadEncryption;
    /** Workers that seal large chunks; the process's shared pool when absent. */
    cipherPool?: SegmentCipherPool;
  } = {},
): UploadSessions & { dir: string } {
  const dir = join(dataDir, 'uploads');
  const live = new Map<string, LiveState>();
  const uploadKeys = opts.encryption;
  const dataPath = (id: string) => join(dir, id);
  const metaPath = (id: string) => join(dir, `${id}.json`);

  const unknown = unknownUpload;

  async function readMeta(id: string, repository: string): Promise<SessionMeta> {
    if (!SESSION_ID.test(id)) throw unknown(id);
    let meta: SessionMeta;
    try {
      meta = JSON.parse(await readFile(metaPath(id), 'utf8')) as SessionMeta;
    } catch {
      throw unknown(id);
    }
    // An upload belongs to the repository that started it; another name cannot touch it.
    if (meta.repository !== repository) throw unknown(id);
    return meta;
  }

  /** Meta is replaced by rename, so a reader (GC) never sees a half-written file. */
  async function writeMeta(id: string, meta: SessionMeta): Promise<void> {
    const tmp = `${metaPath(id)}.${randomUUID()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(meta));
      await rename(tmp, metaPath(id));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /**
   * The upload's plaintext: the data file, or for an encrypted session its segments decrypted
   * (`sealer`: the first `segments` of them, then the tail it holds; all of them when it has
   * finished, the last sealed as the last).
   */
  async function* plaintextOf(id: string, sealer?: UploadSealer): AsyncIterable<Buffer> {
    const read = (start: number, end: number) =>
      createReadStream(dataPath(id), { start, end, highWaterMark: 1 << 20 });
    if (!sealer) {
      yield* createReadStream(dataPath(id)) as AsyncIterable<Buffer>;
      return;
    }
    const { key, header, segments } = sealer;
    if (sealer.finished) {
      const size = sealer.offset;
      const plan = planRange(size, undefined, header.overhead);
      yield* decryptSegments(key, header, '', size, plan, read(plan.storedStart, plan.storedEnd));
      return;
    }
    if (segments > 0) {
      // Segments 0..n-1 of a blob with at least one more: none of them is the last.
      const size = segments * SEGMENT_BYTES;
      const plan = planRange(size + 1, { start: 0, end: size - 1 }, header.overhead);
      yield* decryptSegments(
        key,
        header,
        '',
        size + 1,
        plan,
        read(plan.storedStart, plan.storedEnd),
      );
    }
    yield sealer.snapshot().tail;
  }

  async function hashFile(id: string, algorithm: DigestAlgorithm, sealer?: UploadSealer) {
    const hash = createHash(algorithm);
    let offset = 0;
    try {
      for await (const chunk of plaintextOf(id, sealer)) {
        hash.update(chunk);
        offset += chunk.length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw unknown(id);
      throw error;
    }
    return { hash, offset };
  }

  /** An encrypted session's sealer, from its meta and the header in its data file. */
  async function sealerOf(id: string, meta: SessionMeta): Promise<UploadSealer | undefined> {
    const sealed = meta.encryption;
    if (!sealed) return undefined;
    if (!uploadKeys) {
      throw new Error(`upload ${id} is encrypted, and this server was not given its keys`);
    }
    const key = await uploadKeys.unwrap(meta.repository, id, sealed.key);
    return UploadSealer.resume(
      key,
      parseHeader(Buffer.from(sealed.header, 'base64')),
      sealed.segments,
      Buffer.from(sealed.tail, 'base64'),
    );
  }

  async function metaInoOf(id: string): Promise<number> {
    try {
      return (await stat(metaPath(id))).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw unknown(id);
      throw error;
    }
  }

  async function state(id: string, meta: SessionMeta): Promise<LiveState> {
    const existing = live.get(id);
    if (existing) return existing;
    const algorithm = meta.algorithm ?? 'sha256';
    const metaIno = meta.encryption ? await metaInoOf(id) : undefined;
    const sealer = await sealerOf(id, meta);
    const rebuilt: LiveState = {
      meta,
      ...(await hashFile(id, algorithm, sealer)),
      algorithm,
      busy: false,
      ...(sealer ? { sealer, metaIno } : {}),
    };
    live.set(id, rebuilt);
    return rebuilt;
  }

  /** Another process took chunks of this session since this process last looked. */
  async function changedElsewhere(id: string, s: LiveState, file?: FileHandle): Promise<boolean> {
    if (s.sealer) return (await metaInoOf(id)) !== s.metaIno;
    try {
      return (await (file ? file.stat() : stat(dataPath(id)))).size !== s.offset;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        live.delete(id);
        throw unknown(id);
      }
      throw error;
    }
  }

  /**
   * Seals an encrypted session's last segment into the data file, cuts off anything after it
   * (what a chunk that failed, or an earlier finish, left there) and starts its fsync.
   */
  async function finishSealed(file: FileHandle, sealer: UploadSealer): Promise<void> {
    const at = segmentOffset(sealer.segments, sealer.header);
    const last = sealer.finish();
    await writevFully(file, [sealer.header.bytes], 0);
    await writevFully(file, [last], at);
    await file.truncate(at + last.length);
  }

  /** Where an encrypted session's data file ends with `segments` sealed (no header yet). */
  const sealedEnd = (sealer: UploadSealer, segments: number) =>
    segments === 0 ? 0 : segmentOffset(segments, sealer.header);

  /**
   * The live state of a session this process is handling, without reading its meta again:
   * chunks are checked against the file itself when they are written (append).
   */
  async function liveState(id: string, repository: string): Promise<LiveState> {
    const existing = live.get(id);
    if (existing) {
      if (existing.meta.repository !== repository) throw unknown(id);
      return existing;
    }
    return state(id, await readMeta(id, repository));
  }

  async function remove(id: string): Promise<void> {
    live.delete(id);
    await rm(dataPath(id), { force: true });
    await rm(metaPath(id), { force: true });
  }

  /** The data file for writing at explicit offsets; a session whose file is gone is unknown. */
  async function openData(id: string) {
    try {
      return await open(dataPath(id), 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        live.delete(id);
        throw unknown(id);
      }
      throw asStorageFull(error);
    }
  }

  return {
    dir,

    async start(repository, algorithm = 'sha256', opts = {}) {
      const id = randomUUID();
      const now = clock();
      // Decided once per session: one started before encryption was turned on (or off)
      // finishes the way it began.
      const encryption = (await uploadKeys?.encrypting())
        ? await uploadKeys!.newKey(repository, id)
        : null;
      const sealer = encryption ? new UploadSealer(encryption.key, newHeader()) : undefined;
      const meta: SessionMeta = {
        repository,
        startedAt: now,
        updatedAt: now,
        ...(algorithm !== 'sha256' ? { algorithm } : {}),
        ...(opts.oneShot ? { owner: STAGING_OWNER } : {}),
        ...(encryption && sealer
          ? {
              encryption: {
                key: encryption.wrapped,
                header: sealer.header.bytes.toString('base64'),
                segments: 0,
                tail: sealer.sealedTail().toString('base64'),
              },
            }
          : {}),
      };
      let metaIno: number | undefined;
      try {
        try {
          await writeFile(dataPath(id), '', { flag: 'wx' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          await mkdir(dir, { recursive: true });
          await writeFile(dataPath(id), '', { flag: 'wx' });
        }
        // A new name, written once: a reader that finds it half-written skips it, as it does
        // a meta removed under it, and no client can ask for the session before this returns.
        await writeFile(metaPath(id), JSON.stringify(meta), { flag: 'wx' });
        if (sealer) metaIno = await metaInoOf(id);
      } catch (error) {
        await remove(id);
        throw asStorageFull(error);
      }
      live.set(id, {
        meta,
        hash: createHash(algorithm),
        algorithm,
        offset: 0,
        busy: false,
        ...(sealer ? { sealer, metaIno } : {}),
      });
      return { id };
    },

    async offset(id, repository) {
      const meta = await readMeta(id, repository);
      return (await state(id, meta)).offset;
    },

    /**
     * A `last` chunk does not rewrite the session's meta, and starts the content's fsync at
     * once, to run while the caller records the blob (`seal` hands it over).
     */
    async append(id, repository, body, range, { last = false } = {}) {
      let s = await liveState(id, repository);
      if (!s.busy && range !== null && range.start !== s.offset) {
        // A chunk this process did not expect: another process may have taken the ones before
        // it (a client whose requests are spread over servers). Only a change is looked into.
        try {
          if (await changedElsewhere(id, s)) {
            live.delete(id);
            s = await state(id, await readMeta(id, repository));
          }
        } catch (error) {
          body.resume();
          throw error;
        }
      }
      if (s.busy || (range !== null && range.start !== s.offset)) {
        body.resume();
        throw new UploadRangeError(s.offset);
      }
      s.busy = true;
      let file;
      try {
        file = await openData(id);
        // Another process may have taken chunks of this session since: start from the file
        // (an encrypted session: from its meta).
        if (await changedElsewhere(id, s, file)) {
          await file.close();
          file = undefined;
          live.delete(id);
          s.busy = false;
          s = await state(id, s.sealer ? await readMeta(id, repository) : s.meta);
          s.busy = true;
          if (range !== null && range.start !== s.offset) throw new UploadRangeError(s.offset);
          file = await openData(id);
        }
      } catch (error) {
        s.busy = false;
        await file?.close();
        body.resume();
        throw error;
      }
      const { sealer } = s;
      const before = { offset: s.offset, hash: s.hash.copy(), sealed: sealer?.snapshot() };
      const current = s;
      let handedOver = false;
      const writer = new HashingFileWriter(
        file,
        s.hash,
        sealer ? segmentOffset(sealer.segments, sealer.header) : s.offset,
        (bytes) => {
          current.offset += bytes;
        },
        sealer && new SealingBatches(sealer, opts.cipherPool ?? sharedCipherPool()),
      );
      try {
        await pipeline(body, writer);
        if (sealer && last) {
          // The staged ciphertext becomes the blob: it is made durable here, as a plaintext
          // upload that is stored as it is.
          await finishSealed(file, sealer);
          const synced = file.sync();
          const opened = file;
          void synced.catch(() => undefined).then(() => opened.close());
          s.synced = synced;
          handedOver = true;
        } else if (sealer) {
          s.meta = {
            ...s.meta,
            updatedAt: clock(),
            encryption: {
              ...s.meta.encryption!,
              segments: sealer.segments,
              tail: sealer.sealedTail().toString('base64'),
            },
          };
          await writeMeta(id, s.meta);
          s.metaIno = await metaInoOf(id);
        } else if (last && !(await (opts.syncLast?.() ?? true))) {
          // Nothing to hand over: publish's storeFile writes what is kept, durably.
        } else if (last) {
          const synced = file.sync();
          // The close waits for the fsync; seal's caller awaits the fsync itself.
          const opened = file;
          void synced.catch(() => undefined).then(() => opened.close());
          s.synced = synced;
          handedOver = true;
        } else {
          s.meta = { ...s.meta, updatedAt: clock() };
          await writeMeta(id, s.meta);
        }
      } catch (error) {
        // A chunk is kept whole or not at all: cut off what part of it reached the file (on a
        // full disk that frees the space) and go back to the hash from before it.
        await writer.settled();
        try {
          await truncate(
            dataPath(id),
            before.sealed && sealer ? sealedEnd(sealer, before.sealed.segments) : before.offset,
          );
          s.offset = before.offset;
          s.hash = before.hash;
          if (before.sealed) sealer?.restore(before.sealed);
        } catch {
          // The next request rebuilds the running hash from whatever the file holds.
          live.delete(id);
        }
        throw asStorageFull(error);
      } finally {
        if (!handedOver) await file.close();
        s.busy = false;
      }
      return s.offset;
    },

    /**
     * The running hash serves when it is in `algorithm`; otherwise the file is read again.
     * Publishing moves the file into the blob store, after the last chunk's fsync.
     */
    async seal(id, repository, algorithm = 'sha256') {
      const s = await liveState(id, repository);
      if (s.busy) throw new UploadRangeError(s.offset);
      const { sealer } = s;
      if (sealer && !sealer.finished) {
        // Sealed without a last chunk in this process (the server restarted between them).
        s.busy = true;
        try {
          const file = await openData(id);
          try {
            await finishSealed(file, sealer);
            await file.sync();
          } finally {
            await file.close();
          }
        } catch (error) {
          live.delete(id); // the next request starts again from the meta
          throw asStorageFull(error);
        } finally {
          s.busy = false;
        }
      }
      let hash = s.hash;
      if (s.algorithm !== algorithm) {
        // Busy while it reads, so a chunk arriving meanwhile is refused rather than missed.
        s.busy = true;
        try {
          hash = (await hashFile(id, algorithm, sealer)).hash;
        } finally {
          s.busy = false;
        }
      }
      live.delete(id);
      const { synced } = s;
      const digest = `${algorithm}:${hash.digest('hex')}`;
      const size = s.offset;
      return {
        digest,
        size,
        release: async () => {
          await synced?.catch(() => undefined);
        },
        publish: async (storeFile) => {
          if (synced) {
            // fsync reports ENOSPC for bytes the file system could not place after all.
            await synced.catch((error: unknown) => {
              throw asStorageFull(error);
            });
            if (sealer) {
              // Never moved into the store as it is: it is ciphertext under the upload's key.
              if (!storeFile) throw new Error(`upload ${id} is encrypted; it needs storeFile`);
              await storeFile(dataPath(id), { key: sealer.key });
            } else if (storeFile) await storeFile(dataPath(id), undefined, { size });
            else await blobs.adopt(digest, dataPath(id), { size });
          } else if (sealer) {
            if (!storeFile) throw new Error(`upload ${id} is encrypted; it needs storeFile`);
            await storeFile(dataPath(id), { key: sealer.key });
          } else if (storeFile) {
            await storeFile(dataPath(id));
          } else {
            await blobs.adopt(digest, dataPath(id));
          }
          // Only the meta is left: the file moved into the blob store.
          live.delete(id);
          await rm(metaPath(id), { force: true });
        },
      };
    },

    async cancel(id, repository) {
      await readMeta(id, repository);
      await remove(id);
    },

    remove,

    /**
     * Files no session will use again: single-request uploads whose process ended (a crash
     * mid-upload), data files whose meta is gone, and meta temp files, both once older than
     * a minute. With `dryRun` they are only counted. Run at start-up and by GC.
     */
    async sweepStray({ dryRun = false } = {}) {
      const found: StagingSweep = { files: 0, bytes: 0 };
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return found;
      }
      const present = new Set(names);
      const drop = async (name: string) => {
        const info = await stat(join(dir, name)).catch(() => null);
        if (!info) return;
        if (!dryRun) await rm(join(dir, name), { force: true });
        found.files += 1;
        found.bytes += info.size;
      };
      const untouchedFor = async (name: string) => {
        const info = await stat(join(dir, name)).catch(() => null);
        return info ? Date.now() - info.mtimeMs : 0;
      };
      for (const name of names) {
        if (SESSION_ID.test(name)) {
          if (present.has(`${name}.json`) || live.has(name)) continue;
          if ((await untouchedFor(name)) > STRAY_AFTER_MS) await drop(name);
        } else if (META_TMP.test(name)) {
          if ((await untouchedFor(name)) > STRAY_AFTER_MS) await drop(name);
        } else if (name.endsWith('.json') && SESSION_ID.test(name.slice(0, -5))) {
          const id = name.slice(0, -5);
          let meta: SessionMeta;
          try {
            meta = JSON.parse(await readFile(join(dir, name), 'utf8')) as SessionMeta;
          } catch {
            continue; // finished or cancelled while we looked
          }
          if (meta.owner !== undefined && stagingOwnerEnded(meta.owner)) {
            live.delete(id);
            await drop(id);
            await drop(name);
          } else if (!present.has(id) && (await untouchedFor(name)) > STRAY_AFTER_MS) {
            await drop(name);
          }
        }
      }
      return found;
    },

    async stale(cutoff) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const out: { id: string; bytes: number }[] = [];
      for (const name of names) {
        const id = name.replace(/\.json$/, '');
        if (!name.endsWith('.json') || !SESSION_ID.test(id) || live.get(id)?.busy) continue;
        let meta: SessionMeta;
        try {
          meta = JSON.parse(await readFile(join(dir, name), 'utf8')) as SessionMeta;
        } catch {
          continue; // finished or cancelled while we looked
        }
        if (meta.updatedAt >= cutoff) continue;
        const bytes = (await stat(dataPath(id)).catch(() => ({ size: 0 }))).size;
        out.push({ id, bytes });
      }
      return out;
    },
  };
}
