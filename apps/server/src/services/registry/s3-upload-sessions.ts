import { randomUUID } from 'node:crypto';
import { createSHA256, createSHA512, type IHasher } from 'hash-wasm';
import { InputError, TooLargeError, isDigestAlgorithm } from '@berth/domain';
import {
  MAX_PARTS,
  MIN_PART_BYTES,
  type S3UploadStaging,
  type StagingSweep,
  type UploadPartRecord,
  type UploadSessionRecord,
  type UploadSessionsStore,
  type UploadTailRecord,
} from '@berth/store';
import type { Logger } from 'pino';
import type { UploadEncryption } from '../encryption/image-data.js';
import {
  newHeader,
  parseHeader,
  SEGMENT_BYTES,
  storedSizeOf,
} from '../encryption/segment-format.js';
import { UploadSealer } from './upload-sealer.js';
import {
  type SealedUpload,
  UploadRangeError,
  type UploadSessions,
  unknownUpload,
} from './upload-sessions.js';

/**
 * How long a claim on a session lasts without being renewed: a process that dies mid-chunk
 * holds its session this long at most. A chunk in progress renews it every third of that.
 */
const LEASE_MS = 30_000;
/**
 * Something under uploads/ that the database does not know, untouched for this long, belongs
 * to no session: the steps that leave such things for a moment (a multipart upload created and
 * then recorded, a tail written and then recorded) take milliseconds.
 */
const STRAY_AFTER_MS = 60_000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface S3UploadSessionsOptions {
  store: UploadSessionsStore;
  staging: S3UploadStaging;
  clock: () => number;
  logger?: Logger;
  leaseMs?: number;
  /**
   * When present and encrypting, sessions started are encrypted as they arrive: parts and
   * tail objects hold only ciphertext, and the blob's key only ever receives it.
   */
  encryption?: UploadEncryption;
}

/** Where the bytes stand while a chunk is written: the session's row, moved on. */
interface Progress {
  hasher: IHasher;
  offset: number;
  uploadId: string | null;
  parts: UploadPartRecord[];
  /**
   * Received, hashed, not yet in a part: the last tail's bytes first, then the chunk's. For
   * an encrypted session: ciphertext (the header, then sealed segments).
   */
  pending: Buffer[];
  pendingBytes: number;
  /** An encrypted session's plaintext past its last sealed segment (see UploadSealer). */
  sealer?: UploadSealer;
}

/** This process's claim on a session: it alone writes the session until it lets go. */
interface Claim {
  row: UploadSessionRecord;
  owner: string;
  /** Aborted when the claim was lost (another process took the session, or it was removed). */
  lost: AbortSignal;
  /** Set by a last chunk for `seal`. */
  sealing?: Progress;
  /** Stops renewing; the row is the caller's to release or update. */
  stop(): void;
}

class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
}

/** A fresh hash, or the one a session's row saved (hash-wasm: Node's Hash cannot be saved). */
async function hasherFor(algorithm: string, state: string): Promise<IHasher> {
  const hasher = algorithm === 'sha512' ? await createSHA512() : await createSHA256();
  if (state === '') hasher.init();
  else hasher.load(Buffer.from(state, 'base64'));
  return hasher;
}

const joined = (buffers: Buffer[], bytes: number) =>
  buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, bytes);

/**
 * An encrypted session's tail object: u32 BE length of the ciphertext not yet in a part, that
 * ciphertext, then the sealed plaintext past the last segment (UploadSealer.sealedTail).
 */
function encryptedTail(pending: Buffer[], pendingBytes: number, sealedTail: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(pendingBytes, 0);
  return Buffer.concat([length, ...pending, sealedTail]);
}

/** Segments sealed at plaintext `offset`: all but the one the last byte is in (see UploadSealer). */
const sealedSegments = (offset: number) =>
  offset === 0 ? 0 : Math.ceil(offset / SEGMENT_BYTES) - 1;

/**
 * Upload sessions when blobs are in S3 (issue 16): each session is an S3 multipart upload
 * (see S3UploadStaging) whose state is a row of upload_sessions, so that a chunked upload
 * started on one process can be continued, finished or cancelled on any other, and nothing is
 * written under the data directory.
 *
 * A chunk streams into parts of `partBytes` while it is hashed; bytes left at its end that are
 * too few for a part (S3 wants 5 MiB, the last part excepted) are kept as a small tail object
 * that the next chunk sends first. The running hash is saved in the row after each chunk
 * (hash-wasm, which can save and resume a hash: Node's cannot), so the digest is known when
 * the upload ends without reading the blob back. A chunk is written under a claim on the row
 * (a lease, renewed while it streams), and recorded, with the claim released, in one
 * conditional update: a chunk that fails records nothing, and the parts it sent are replaced
 * by the retry's (same part numbers) or left out of the completed upload.
 *
 * The last request keeps the final bytes in memory (fewer than a part) and its claim until
 * the blob is published: a blob of one part is one PutObject at its key; a larger one is
 * completed at the session's key and copied server-side to the blob's key. Either way the
 * blob's key only ever holds content whose digest was verified.
 *
 * With image data encryption on, a session is encrypted as it arrives (issue 18): its own
 * key, wrapped by the namespace's, is in its row; parts and tails hold ciphertext only (a
 * tail: the ciphertext not yet in a part, then the plaintext past the last segment sealed on
 * its own, see UploadSealer), and publishing asks `settleKey` first, so the blob's key only
 * ever receives ciphertext under the key recorded for the blob.
 */
export function createS3UploadSessions(options: S3UploadSessionsOptions): UploadSessions {
  const { store, staging, clock, logger, encryption } = options;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  /** Claims handed from one call to the next in the same request: start to append, append to seal. */
  const handedOver = new Map<string, Claim>();

  function claimOf(row: UploadSessionRecord, owner: string): Claim {
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      store.renew(row.id, owner, clock(), leaseMs).then(
        (held) => {
          if (!held) lost.abort(new ClaimLostError(`upload ${row.id} was taken or removed`));
        },
        (err: unknown) => logger?.warn({ err, upload: row.id }, 'renewing an upload claim failed'),
      );
    }, leaseMs / 3);
    heartbeat.unref();
    return { row, owner, lost: lost.signal, stop: () => clearInterval(heartbeat) };
  }

  async function readRow(id: string, repository: string): Promise<UploadSessionRecord> {
    const row = SESSION_ID.test(id) ? await store.get(id) : null;
    // An upload belongs to the repository that started it; another name cannot touch it.
    if (!row || row.repository !== repository) throw unknownUpload(id);
    return row;
  }

  /** Claims the session for one chunk starting at `range`, or says why not. */
  async function take(
    id: string,
    repository: string,
    range: { start: number } | null,
  ): Promise<Claim> {
    const row = await readRow(id, repository);
    const now = clock();
    const held = row.owner !== null && (row.leaseUntil ?? 0) >= now;
    if (held || (range !== null && range.start !== row.offset)) {
      throw new UploadRangeError(row.offset);
    }
    const owner = randomUUID();
    const claimed = await store.claim(id, row.revision, owner, now, leaseMs);
    if (claimed) return claimOf(claimed, owner);
    // Another chunk got there first, or the session ended meanwhile.
    throw new UploadRangeError((await readRow(id, repository)).offset);
  }

  /** The error for a claim that is no longer ours: the session ended, or moved on. */
  async function lostError(id: string, repository: string): Promise<Error> {
    try {
      return new UploadRangeError((await readRow(id, repository)).offset);
    } catch (error) {
      return error as Error;
    }
  }

  async function progressOf(row: UploadSessionRecord): Promise<Progress> {
    const tail = row.tail ? await staging.readTail(row.tail) : null;
    if (row.encryption) {
      if (!encryption) {
        throw new Error(`upload ${row.id} is encrypted, and this server was not given its keys`);
      }
      const key = await encryption.unwrap(row.repository, row.id, row.encryption.key);
      const header = parseHeader(Buffer.from(row.encryption.header, 'base64'));
      const segments = sealedSegments(row.offset);
      if (!tail && row.offset > 0) {
        throw new Error(`upload ${row.id} has ${row.offset} bytes and no sealed tail`);
      }
      if (!tail) {
        // Nothing received yet: the ciphertext starts with the header.
        return {
          hasher: await hasherFor(row.algorithm, row.hashState),
          offset: row.offset,
          uploadId: row.s3UploadId,
          parts: [...row.parts],
          pending: [header.bytes],
          pendingBytes: header.bytes.length,
          sealer: new UploadSealer(key, header),
        };
      }
      const cipherBytes = tail.readUInt32BE(0);
      const cipher = tail.subarray(4, 4 + cipherBytes);
      return {
        hasher: await hasherFor(row.algorithm, row.hashState),
        offset: row.offset,
        uploadId: row.s3UploadId,
        parts: [...row.parts],
        pending: cipher.length > 0 ? [cipher] : [],
        pendingBytes: cipher.length,
        sealer: UploadSealer.resume(key, header, segments, tail.subarray(4 + cipherBytes)),
      };
    }
    return {
      hasher: await hasherFor(row.algorithm, row.hashState),
      offset: row.offset,
      uploadId: row.s3UploadId,
      parts: [...row.parts],
      pending: tail ? [tail] : [],
      pendingBytes: tail?.length ?? 0,
    };
  }

  /**
   * Sends what is pending as the next part, after the part before it (at most one in flight
   * while the next one fills). The multipart upload is created, and recorded, by the first.
   */
  function partSender(claim: Claim, p: Progress) {
    const id = claim.row.id;
    let inFlight: Promise<void> | null = null;
    const send = async (body: Buffer) => {
      if (p.parts.length >= MAX_PARTS) {
        throw new TooLargeError(
          'BLOB_UPLOAD_INVALID',
          `an upload to S3 has at most ${MAX_PARTS} parts; send larger chunks`,
        );
      }
      if (p.uploadId === null) {
        const created = await staging.createUpload(id);
        if (!(await store.recordUpload(id, claim.owner, created))) {
          await staging.abortUpload(id, created).catch(() => undefined);
          throw new ClaimLostError(`upload ${id} was taken or removed`);
        }
        p.uploadId = created;
      }
      const part = { number: p.parts.length + 1, etag: '', size: body.length };
      p.parts.push(part);
      part.etag = await staging.uploadPart(id, p.uploadId, part.number, body, claim.lost);
    };
    const settle = async (): Promise<void> => {
      const sending = inFlight;
      inFlight = null;
      if (sending) await sending;
    };
    return {
      settle,
      async flush(): Promise<void> {
        const body = joined(p.pending, p.pendingBytes);
        p.pending = [];
        p.pendingBytes = 0;
        await settle();
        if (claim.lost.aborted) throw claim.lost.reason as Error;
        const sending = send(body);
        // Surfaces a failed part at the next await, not as an unhandled rejection.
        sending.catch(() => undefined);
        inFlight = sending;
      },
      /** On the way out of a failure: nothing may still be sending. */
      async drain(): Promise<void> {
        await inFlight?.catch(() => undefined);
      },
    };
  }

  /** The session's row and everything it staged in the bucket goes. */
  async function remove(id: string): Promise<void> {
    const claim = handedOver.get(id);
    if (claim) {
      handedOver.delete(id);
      claim.stop();
    }
    await store.remove(id);
    await staging.discard(id);
  }

  async function publish(
    claim: Claim,
    p: Progress,
    digest: string,
    settleKey?: (uploadKey: Buffer) => Promise<'store' | 'stored'>,
  ): Promise<void> {
    const id = claim.row.id;
    let completed = false;
    if (p.sealer && !settleKey) throw new Error(`upload ${id} is encrypted; it needs settleKey`);
    // An encrypted upload settles its key before anything is written at the blob's key, so
    // only ciphertext under the key recorded for the blob ever goes there.
    const storedAlready = p.sealer
      ? (await settleKey!(p.sealer.key)) === 'stored'
      : await staging.blobExists(digest);
    if (storedAlready) {
      // Stored already (another push of the same layer): keep it, drop the upload.
    } else if (p.parts.length === 0) {
      await staging.putBlob(digest, joined(p.pending, p.pendingBytes));
    } else {
      const parts = partSender(claim, p);
      if (p.pendingBytes > 0) await parts.flush();
      await parts.settle();
      const size = p.sealer ? storedSizeOf(p.offset) : p.offset;
      await staging.publishParts(id, p.uploadId!, p.parts, size, digest);
      completed = true;
    }
    claim.stop();
    // The row first: whatever a crash or a failure leaves in the bucket after it, sweepStray
    // removes. The blob is stored by now, so a failure from here on is not the client's.
    await store.remove(id);
    try {
      if (claim.row.tail) await staging.deleteKey(claim.row.tail.key);
      if (p.uploadId !== null && !completed) await staging.abortUpload(id, p.uploadId);
    } catch (err) {
      logger?.warn({ err, upload: id }, 'cleaning up after a published upload failed');
    }
  }

  return {
    async start(repository, algorithm = 'sha256', opts = {}) {
      const id = randomUUID();
      const now = clock();
      const owner = opts.oneShot ? randomUUID() : null;
      // Decided once per session, as on the filesystem.
      const keyed = (await encryption?.encrypting())
        ? await encryption!.newKey(repository, id)
        : null;
      // A single-request upload is claimed from its start: its one request writes it whole.
      const row = await store.create({
        id,
        repository,
        algorithm,
        // Empty: a hash not started yet (the first chunk starts it).
        hashState: '',
        oneShot: opts.oneShot ?? false,
        now,
        ...(owner ? { claim: { owner, leaseMs } } : {}),
        ...(keyed
          ? {
              encryption: {
                key: keyed.wrapped,
                header: newHeader().bytes.toString('base64'),
              },
            }
          : {}),
      });
      if (owner) handedOver.set(id, claimOf(row, owner));
      return { id };
    },

    async offset(id, repository) {
      return (await readRow(id, repository)).offset;
    },

    async append(id, repository, body, range, { last = false } = {}) {
      let claim = handedOver.get(id);
      try {
        if (claim && claim.row.repository === repository && !claim.sealing) {
          handedOver.delete(id);
        } else {
          claim = await take(id, repository, range);
        }
      } catch (error) {
        body.resume();
        throw error;
      }
      const held = claim;
      const { row } = held;
      let tail: UploadTailRecord | null = null;
      let p: Progress | null = null;
      let parts: ReturnType<typeof partSender> | null = null;
      try {
        p = await progressOf(row);
        parts = partSender(held, p);
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (held.lost.aborted) throw held.lost.reason as Error;
          p.hasher.update(chunk);
          p.offset += chunk.length;
          for (const piece of p.sealer ? p.sealer.encode([chunk]) : [chunk]) {
            p.pending.push(piece);
            p.pendingBytes += piece.length;
          }
          if (p.pendingBytes >= staging.partBytes) await parts.flush();
        }
        if (last && p.sealer) {
          const final = p.sealer.finish();
          p.pending.push(final);
          p.pendingBytes += final.length;
        }
        if (last) {
          // The final bytes stay in memory, and the claim held, until seal and publish.
          await parts.settle();
          held.sealing = p;
          handedOver.set(id, held);
          return p.offset;
        }
        // A part in the middle must have 5 MiB; fewer wait in a tail for the next chunk.
        if (p.pendingBytes >= MIN_PART_BYTES) await parts.flush();
        if (p.sealer) {
          // The plaintext past the last segment goes with it, sealed on its own.
          if (p.offset > 0) {
            const body = encryptedTail(p.pending, p.pendingBytes, p.sealer.sealedTail());
            tail = await staging.putTail(id, body, held.lost);
          }
        } else if (p.pendingBytes > 0) {
          tail = await staging.putTail(id, joined(p.pending, p.pendingBytes), held.lost);
        }
        await parts.settle();
        const recorded = await store.advance(id, held.owner, row.revision, {
          offset: p.offset,
          parts: p.parts,
          hashState: Buffer.from(p.hasher.save()).toString('base64'),
          tail,
          now: clock(),
        });
        held.stop();
        if (!recorded) throw new ClaimLostError(`upload ${id} was taken or removed`);
        if (row.tail) {
          await staging
            .deleteKey(row.tail.key)
            .catch((err: unknown) => logger?.warn({ err, upload: id }, 'removing a tail failed'));
        }
        return p.offset;
      } catch (error) {
        // Nothing of this chunk is recorded: the session stays where it was, for a retry.
        held.stop();
        await parts?.drain();
        if (tail) await staging.deleteKey(tail.key).catch(() => undefined);
        await store.release(id, held.owner).catch(() => undefined);
        if (error instanceof ClaimLostError || held.lost.aborted) {
          throw await lostError(id, repository);
        }
        throw error;
      }
    },

    async seal(id, repository, algorithm = 'sha256'): Promise<SealedUpload> {
      let claim = handedOver.get(id);
      if (claim?.sealing && claim.row.repository === repository) {
        handedOver.delete(id);
      } else {
        claim = await take(id, repository, null);
        try {
          const p = await progressOf(claim.row);
          if (p.sealer) {
            // Sealed without a last chunk in this request: the last segment is sealed now.
            const final = p.sealer.finish();
            p.pending.push(final);
            p.pendingBytes += final.length;
          }
          claim.sealing = p;
        } catch (error) {
          claim.stop();
          await store.release(id, claim.owner).catch(() => undefined);
          throw error;
        }
      }
      const held = claim;
      const p = held.sealing!;
      const hashedWith = isDigestAlgorithm(held.row.algorithm) ? held.row.algorithm : 'sha256';
      if (hashedWith !== algorithm) {
        // Hashing again would mean reading the blob back from S3, which uploads never do.
        await remove(id);
        throw new InputError(
          'DIGEST_INVALID',
          `this upload was hashed as ${hashedWith} while it arrived, so it cannot end with a ${algorithm} digest; upload it again, starting with ?digest-algorithm=${algorithm}`,
        );
      }
      const digest = `${algorithm}:${p.hasher.digest('hex')}`;
      return {
        digest,
        size: p.offset,
        release: async () => {
          // The session goes back to where its last recorded chunk left it.
          held.stop();
          await store.release(id, held.owner).catch(() => undefined);
        },
        publish: async (_storeFile, settleKey) => {
          try {
            await publish(held, p, digest, settleKey);
          } catch (error) {
            // Half-published (the multipart upload completed, say): it cannot go on.
            held.stop();
            await remove(id).catch((err: unknown) =>
              logger?.warn({ err, upload: id }, 'removing a failed upload failed'),
            );
            throw error;
          }
        },
      };
    },

    async cancel(id, repository) {
      await readRow(id, repository);
      await remove(id);
    },

    remove,

    /**
     * Single-request uploads whose process died (their lease lapsed), and what no row knows
     * under uploads/ in the bucket (a crash between two steps), once a minute old.
     */
    async sweepStray({ dryRun = false } = {}) {
      const found: StagingSweep = { files: 0, bytes: 0 };
      const add = (swept: StagingSweep) => {
        found.files += swept.files;
        found.bytes += swept.bytes;
      };
      for (const row of await store.lapsedOneShots(clock())) {
        if (handedOver.has(row.id)) continue;
        if (dryRun) {
          add({ files: 1, bytes: row.offset });
          continue;
        }
        if (await store.remove(row.id)) add(await staging.discard(row.id));
      }
      const things = [];
      for await (const thing of staging.staged()) things.push(thing);
      const rows = await store.find([...new Set(things.map((t) => t.session))]);
      const now = Date.now();
      for (const thing of things) {
        const row = rows.get(thing.session);
        const at = thing.kind === 'upload' ? thing.startedAt : thing.modifiedAt;
        if (now - at < STRAY_AFTER_MS) continue;
        if (thing.kind === 'upload') {
          if (row?.s3UploadId === thing.uploadId) continue;
          found.files += 1;
          found.bytes += await staging.uploadedBytes(thing.key, thing.uploadId);
          if (!dryRun) await staging.abort(thing.key, thing.uploadId);
        } else {
          // A session's completed upload is being published while its row is there.
          if (row && (thing.key === row.tail?.key || thing.key.endsWith('/data'))) continue;
          found.files += 1;
          found.bytes += thing.size;
          if (!dryRun) await staging.deleteKey(thing.key);
        }
      }
      return found;
    },

    async stale(cutoff) {
      const rows = await store.stale(cutoff, clock());
      return rows.filter((r) => !handedOver.has(r.id)).map((r) => ({ id: r.id, bytes: r.offset }));
    },
  };
}
