import type { Selectable } from 'kysely';
import type { Db, UploadSessionsTable } from './database.js';

/** One part of an S3 multipart upload, as CompleteMultipartUpload needs it back. */
export interface UploadPartRecord {
  number: number;
  etag: string;
  size: number;
}

/** Bytes received after the last part, kept as a small object until the next chunk. */
export interface UploadTailRecord {
  key: string;
  size: number;
}

export interface UploadSessionRecord {
  id: string;
  repository: string;
  algorithm: string;
  startedAt: number;
  updatedAt: number;
  /** Bytes received and hashed: the parts' and the tail's. */
  offset: number;
  /** A single-request upload: its client never learns the session, so nobody resumes it. */
  oneShot: boolean;
  s3UploadId: string | null;
  parts: UploadPartRecord[];
  /** The running hash's resumable state, base64. */
  hashState: string;
  tail: UploadTailRecord | null;
  /** Who is writing a chunk, and until when; a lease that lapsed holds nothing. */
  owner: string | null;
  leaseUntil: number | null;
  revision: number;
  /**
   * Encrypted as it arrives (migration 0027): the session's key wrapped by its namespace's key
   * and the header its ciphertext starts with, both base64. Null: a plaintext session.
   */
  encryption: UploadEncryptionRecord | null;
}

export interface UploadEncryptionRecord {
  key: string;
  header: string;
}

export interface NewUploadSession {
  id: string;
  repository: string;
  algorithm: string;
  hashState: string;
  oneShot: boolean;
  now: number;
  /** Started already claimed (a single-request upload is written at once). */
  claim?: { owner: string; leaseMs: number };
  encryption?: UploadEncryptionRecord;
}

/** Where a chunk left the session: what `advance` records. */
export interface UploadProgress {
  offset: number;
  parts: UploadPartRecord[];
  hashState: string;
  tail: UploadTailRecord | null;
  now: number;
}

type Row = Selectable<UploadSessionsTable>;

function toRecord(row: Row): UploadSessionRecord {
  // Number(): PostgreSQL's driver hands bigint columns over as strings.
  return {
    id: row.id,
    repository: row.repository,
    algorithm: row.algorithm,
    startedAt: Number(row.started_at),
    updatedAt: Number(row.updated_at),
    offset: Number(row.offset_bytes),
    oneShot: Number(row.one_shot) === 1,
    s3UploadId: row.s3_upload_id,
    parts: JSON.parse(row.parts) as UploadPartRecord[],
    hashState: row.hash_state,
    tail: row.tail_key === null ? null : { key: row.tail_key, size: Number(row.tail_bytes) },
    owner: row.owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    revision: Number(row.revision),
    encryption:
      row.encryption === null ? null : (JSON.parse(row.encryption) as UploadEncryptionRecord),
  };
}

/** Rows per query when sessions are looked up by id. */
const LOOKUP_BATCH = 500;

/**
 * Upload sessions staged in S3 (migration 0018). Every change is one conditional statement:
 * a chunk is written under a claim (`owner` + `lease_until`) taken only from the revision the
 * caller read and only while no live lease holds the session, so two processes never append
 * at once; its result is recorded only if the claim is still the caller's, and a claim whose
 * process died lapses. The rules (what a chunk may do, when a session is stale) are the
 * registry service's.
 */
export function createUploadSessionsStore(db: Db) {
  return {
    async create(s: NewUploadSession): Promise<UploadSessionRecord> {
      const row = await db
        .insertInto('upload_sessions')
        .values({
          id: s.id,
          repository: s.repository,
          algorithm: s.algorithm,
          started_at: s.now,
          updated_at: s.now,
          one_shot: s.oneShot ? 1 : 0,
          s3_upload_id: null,
          hash_state: s.hashState,
          tail_key: null,
          owner: s.claim?.owner ?? null,
          lease_until: s.claim ? s.now + s.claim.leaseMs : null,
          encryption: s.encryption
            ? JSON.stringify({ key: s.encryption.key, header: s.encryption.header })
            : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async get(id: string): Promise<UploadSessionRecord | null> {
      const row = await db
        .selectFrom('upload_sessions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** The sessions of `ids` that exist, by id (for sweeps of what S3 holds). */
    async find(ids: readonly string[]): Promise<Map<string, UploadSessionRecord>> {
      const found = new Map<string, UploadSessionRecord>();
      for (let at = 0; at < ids.length; at += LOOKUP_BATCH) {
        const rows = await db
          .selectFrom('upload_sessions')
          .selectAll()
          .where('id', 'in', ids.slice(at, at + LOOKUP_BATCH))
          .execute();
        for (const row of rows) found.set(row.id, toRecord(row));
      }
      return found;
    },

    /**
     * Takes the session for `owner` if it is still at `revision` (what the caller checked the
     * chunk against) and no live lease holds it. Null when it moved on, is held, or is gone.
     */
    async claim(
      id: string,
      revision: number,
      owner: string,
      now: number,
      leaseMs: number,
    ): Promise<UploadSessionRecord | null> {
      const row = await db
        .updateTable('upload_sessions')
        .set({ owner, lease_until: now + leaseMs })
        .where('id', '=', id)
        .where('revision', '=', revision)
        .where((eb) => eb.or([eb('owner', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** Extends `owner`'s lease; false when the claim is no longer theirs. */
    async renew(id: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('upload_sessions')
        .set({ lease_until: now + leaseMs })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Records the multipart upload a chunk has just created, before any part is sent, so that
     * it is never lost to a crash; it holds no bytes until a chunk records its parts.
     */
    async recordUpload(id: string, owner: string, s3UploadId: string): Promise<boolean> {
      const result = await db
        .updateTable('upload_sessions')
        .set({ s3_upload_id: s3UploadId })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('s3_upload_id', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Records where a chunk left the session and releases the claim, in one statement, if the
     * claim is still `owner`'s at `revision`; false otherwise (nothing is recorded).
     */
    async advance(
      id: string,
      owner: string,
      revision: number,
      progress: UploadProgress,
    ): Promise<boolean> {
      const result = await db
        .updateTable('upload_sessions')
        .set((eb) => ({
          offset_bytes: progress.offset,
          parts: JSON.stringify(progress.parts),
          hash_state: progress.hashState,
          tail_key: progress.tail?.key ?? null,
          tail_bytes: progress.tail?.size ?? 0,
          updated_at: progress.now,
          owner: null,
          lease_until: null,
          revision: eb('revision', '+', 1),
        }))
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('revision', '=', revision)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Gives up `owner`'s claim and changes nothing else: the chunk did not happen. */
    async release(id: string, owner: string): Promise<void> {
      await db
        .updateTable('upload_sessions')
        .set({ owner: null, lease_until: null })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .execute();
    },

    /** Deletes the session and returns what it was (to clean S3 up after it); null if gone. */
    async remove(id: string): Promise<UploadSessionRecord | null> {
      const row = await db
        .deleteFrom('upload_sessions')
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** Sessions untouched since before `cutoff` that no live lease holds. */
    async stale(cutoff: number, now: number): Promise<UploadSessionRecord[]> {
      const rows = await db
        .selectFrom('upload_sessions')
        .selectAll()
        .where('updated_at', '<', cutoff)
        .where((eb) => eb.or([eb('owner', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('updated_at')
        .execute();
      return rows.map(toRecord);
    },

    /**
     * Single-request uploads whose lease lapsed: the process streaming them died, and no
     * client knows them to resume.
     */
    async lapsedOneShots(now: number): Promise<UploadSessionRecord[]> {
      const rows = await db
        .selectFrom('upload_sessions')
        .selectAll()
        .where('one_shot', '=', 1)
        .where((eb) => eb.or([eb('owner', 'is', null), eb('lease_until', '<', now)]))
        .execute();
      return rows.map(toRecord);
    },
  };
}

export type UploadSessionsStore = ReturnType<typeof createUploadSessionsStore>;
