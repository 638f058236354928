import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DigestAlgorithm, InputError, NotFoundError } from '@berth/domain';

/** Thrown when a chunk does not start where the upload stands; the protocol answers 416. */
export class UploadRangeError extends InputError {
  constructor(readonly offset: number) {
    super(
      'BLOB_UPLOAD_INVALID',
      `this upload has ${offset} bytes; the next chunk must start there`,
    );
  }
}

interface SessionMeta {
  repository: string;
  startedAt: number;
  updatedAt: number;
  /** What the client announced (`?digest-algorithm=`); absent means sha256. */
  algorithm?: DigestAlgorithm;
}

interface LiveState {
  /** The running hash, in the session's algorithm. */
  hash: Hash;
  algorithm: DigestAlgorithm;
  offset: number;
  busy: boolean;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Blob uploads in progress, one file per session under `<dataDir>/uploads`, appended as
 * chunks arrive and hashed on the way in, so finishing a 1 GiB upload needs no second read
 * and memory stays flat. The running hash lives in this process; after a restart (or in
 * another process) it is rebuilt from the file once. It is sha256 unless the client announced
 * another algorithm when it started; a closing digest in an algorithm nobody announced costs
 * one read of the file.
 */
export function createUploadSessions(dataDir: string, clock: () => number) {
  const dir = join(dataDir, 'uploads');
  const live = new Map<string, LiveState>();
  const dataPath = (id: string) => join(dir, id);
  const metaPath = (id: string) => join(dir, `${id}.json`);

  const unknown = (id: string) =>
    new NotFoundError(
      'BLOB_UPLOAD_UNKNOWN',
      `upload ${id.slice(0, 64)} does not exist or has ended`,
    );

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
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, metaPath(id));
  }

  async function hashFile(id: string, algorithm: DigestAlgorithm) {
    const hash = createHash(algorithm);
    let offset = 0;
    try {
      for await (const chunk of createReadStream(dataPath(id))) {
        hash.update(chunk as Buffer);
        offset += (chunk as Buffer).length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw unknown(id);
      throw error;
    }
    return { hash, offset };
  }

  async function state(id: string, meta: SessionMeta): Promise<LiveState> {
    const existing = live.get(id);
    if (existing) return existing;
    const algorithm = meta.algorithm ?? 'sha256';
    const rebuilt = { ...(await hashFile(id, algorithm)), algorithm, busy: false };
    live.set(id, rebuilt);
    return rebuilt;
  }

  async function remove(id: string): Promise<void> {
    live.delete(id);
    await rm(dataPath(id), { force: true });
    await rm(metaPath(id), { force: true });
  }

  return {
    dir,

    async start(
      repository: string,
      algorithm: DigestAlgorithm = 'sha256',
    ): Promise<{ id: string }> {
      await mkdir(dir, { recursive: true });
      const id = randomUUID();
      const now = clock();
      await writeFile(dataPath(id), '', { flag: 'wx' });
      await writeMeta(id, {
        repository,
        startedAt: now,
        updatedAt: now,
        ...(algorithm !== 'sha256' ? { algorithm } : {}),
      });
      live.set(id, { hash: createHash(algorithm), algorithm, offset: 0, busy: false });
      return { id };
    },

    async offset(id: string, repository: string): Promise<number> {
      const meta = await readMeta(id, repository);
      return (await state(id, meta)).offset;
    },

    /**
     * Appends a chunk. `start` (from Content-Range) must equal the current size; a chunk
     * arriving while another is still being written is out of order too.
     */
    async append(
      id: string,
      repository: string,
      body: Readable,
      range: { start: number } | null,
    ): Promise<number> {
      const meta = await readMeta(id, repository);
      const s = await state(id, meta);
      if (s.busy || (range !== null && range.start !== s.offset)) {
        body.resume();
        throw new UploadRangeError(s.offset);
      }
      s.busy = true;
      try {
        const hashing = new Transform({
          transform(chunk: Buffer, _enc, done) {
            s.hash.update(chunk);
            s.offset += chunk.length;
            done(null, chunk);
          },
        });
        await pipeline(body, hashing, createWriteStream(dataPath(id), { flags: 'a' }));
      } catch (error) {
        // Part of the chunk may be on disk and in the hash, not necessarily the same part:
        // forget the running hash, so the next request rebuilds it from the file.
        live.delete(id);
        throw error;
      } finally {
        s.busy = false;
      }
      await writeMeta(id, { ...meta, updatedAt: clock() });
      return s.offset;
    },

    /**
     * The digest (in `algorithm`) and size of everything uploaded, and the file holding it.
     * The running hash serves when it is in that algorithm; otherwise the file is read again.
     */
    async seal(id: string, repository: string, algorithm: DigestAlgorithm = 'sha256') {
      const meta = await readMeta(id, repository);
      const s = await state(id, meta);
      if (s.busy) throw new UploadRangeError(s.offset);
      let hash = s.hash;
      if (s.algorithm !== algorithm) {
        // Busy while it reads, so a chunk arriving meanwhile is refused rather than missed.
        s.busy = true;
        try {
          hash = (await hashFile(id, algorithm)).hash;
        } finally {
          s.busy = false;
        }
      }
      live.delete(id);
      return {
        digest: `${algorithm}:${hash.digest('hex')}`,
        size: s.offset,
        file: dataPath(id),
      };
    },

    async cancel(id: string, repository: string): Promise<void> {
      await readMeta(id, repository);
      await remove(id);
    },

    /** Removes what is left of a finished upload (its file was moved into the blob store). */
    remove,

    /** Sessions idle since before `cutoff`: abandoned by their client. */
    async stale(cutoff: number): Promise<{ id: string; bytes: number }[]> {
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

export type UploadSessions = ReturnType<typeof createUploadSessions>;
