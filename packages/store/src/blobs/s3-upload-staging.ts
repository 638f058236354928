import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { UploadPartRecord, UploadTailRecord } from '../upload-sessions-store.js';
import { multipartUploadedBytes } from './s3-parts.js';
import { isNotFound } from './s3-errors.js';
import { MIN_PART_BYTES } from './s3-blob-driver.js';

const MiB = 1024 * 1024;
/** CopyObject's limit; a larger object is copied in parts (UploadPartCopy). */
const SINGLE_COPY_MAX_BYTES = 5 * 1024 * MiB;
const COPY_PART_BYTES = 1024 * MiB;

export interface S3UploadStagingOptions {
  client: S3Client;
  bucket: string;
  /** The blob driver's key prefix ('' or ending in '/'). */
  prefix: string;
  /** Bytes per part a chunk is cut into (at least 5 MiB). */
  partBytes: number;
  /** Where the blob driver keeps `digest` (its keyOf): where an upload is published. */
  blobKey: (digest: string) => string;
  /** For tests: above this a publish copies in parts of `copyPartBytes`. */
  singleCopyMaxBytes?: number;
  copyPartBytes?: number;
}

/** Something under `<prefix>uploads/` in the bucket, for sweeps. */
export type StagedThing =
  | { kind: 'upload'; session: string; key: string; uploadId: string; startedAt: number }
  | { kind: 'object'; session: string; key: string; size: number; modifiedAt: number };

/**
 * The bucket side of registry upload sessions (issue 16): each session's bytes are a multipart
 * upload at `<prefix>uploads/<session>/data`, with the bytes after its last part (fewer than a
 * part needs) in a small object `<prefix>uploads/<session>/tail-<n>`. Uploads stay out of
 * `<prefix>blobs/`, so the driver's sweepStaging, which aborts what a crashed blob write left
 * there after an hour, never touches a live session however long it lasts: sessions are swept
 * by what the database says of them. Which bytes were received, their hash, and who may write
 * are the registry service's (with the upload_sessions table); nothing here hashes anything.
 */
export function createS3UploadStaging(options: S3UploadStagingOptions) {
  const { client, bucket, blobKey } = options;
  const uploadsPrefix = `${options.prefix}uploads/`;
  const partBytes = Math.max(MIN_PART_BYTES, options.partBytes);
  const singleCopyMaxBytes = options.singleCopyMaxBytes ?? SINGLE_COPY_MAX_BYTES;
  const copyPartBytes = Math.max(MIN_PART_BYTES, options.copyPartBytes ?? COPY_PART_BYTES);
  const sessionPrefix = (session: string) => `${uploadsPrefix}${session}/`;
  const dataKey = (session: string) => `${sessionPrefix(session)}data`;
  const ignoreMissing = (error: unknown) => {
    if (!isNotFound(error)) throw error;
  };

  async function deleteKey(key: string): Promise<void> {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(ignoreMissing);
  }

  async function abort(key: string, uploadId: string): Promise<void> {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(ignoreMissing);
  }

  async function sizeOf(key: string): Promise<number | null> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Every multipart upload and object under `prefix`, page by page. */
  async function* listUnder(prefix: string): AsyncIterable<StagedThing> {
    const sessionOf = (key: string) => key.slice(uploadsPrefix.length).split('/')[0] ?? '';
    let keyMarker: string | undefined;
    let uploadMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadMarker,
        }),
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        yield {
          kind: 'upload',
          session: sessionOf(u.Key),
          key: u.Key,
          uploadId: u.UploadId,
          startedAt: u.Initiated?.getTime() ?? 0,
        };
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadMarker = page.NextUploadIdMarker;
    }
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          kind: 'object',
          session: sessionOf(o.Key),
          key: o.Key,
          size: o.Size ?? 0,
          modifiedAt: o.LastModified?.getTime() ?? 0,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Bytes the parts of a multipart upload hold (0 once it is gone). */
  const uploadedBytes = (key: string, uploadId: string) =>
    multipartUploadedBytes(client, bucket, key, uploadId);

  /** CopySource is `<bucket>/<key>`, URL-encoded segment by segment. */
  const copySource = (key: string) =>
    `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

  /** Server-side copy of `from` (`size` bytes) to `to`: no byte passes through Berth. */
  async function copy(from: string, to: string, size: number): Promise<void> {
    if (size <= singleCopyMaxBytes) {
      await client.send(
        new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: copySource(from) }),
      );
      return;
    }
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('S3 started a multipart copy without an id');
    try {
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let start = 0; start < size; start += copyPartBytes) {
        const end = Math.min(size, start + copyPartBytes) - 1;
        const answer = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: parts.length + 1,
            CopySource: copySource(from),
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: parts.length + 1, ETag: answer.CopyPartResult?.ETag ?? '' });
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: to,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await abort(to, uploadId).catch(() => undefined);
      throw error;
    }
  }

  return {
    partBytes,

    /** Starts the multipart upload of a session's bytes; its id. */
    async createUpload(session: string): Promise<string> {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: dataKey(session) }),
      );
      if (!created.UploadId) throw new Error('S3 started a multipart upload without an id');
      return created.UploadId;
    },

    /** Aborts a session's multipart upload (a created upload the database never recorded, or one whose blob was stored already). */
    async abortUpload(session: string, uploadId: string): Promise<void> {
      await abort(dataKey(session), uploadId);
    },

    /** Sends part `number` (a part sent again under the same number replaces it); its ETag. */
    async uploadPart(
      session: string,
      uploadId: string,
      number: number,
      body: Buffer,
      signal?: AbortSignal,
    ): Promise<string> {
      const answer = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: dataKey(session),
          UploadId: uploadId,
          PartNumber: number,
          Body: body,
          ContentLength: body.length,
        }),
        { abortSignal: signal },
      );
      if (!answer.ETag) throw new Error(`S3 took part ${number} without an ETag`);
      return answer.ETag;
    },

    /** Keeps bytes too few for a part under a name of their own (a chunk that fails leaves the last tail as it was). */
    async putTail(session: string, body: Buffer, signal?: AbortSignal): Promise<UploadTailRecord> {
      const key = `${sessionPrefix(session)}tail-${randomUUID()}`;
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }),
        { abortSignal: signal },
      );
      return { key, size: body.length };
    },

    /**
     * A tail's bytes, to go in front of the next chunk's first part. They were hashed when they
     * arrived; this is not a second read of the blob, only of fewer than 5 MiB of it.
     */
    async readTail(tail: UploadTailRecord): Promise<Buffer> {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: tail.key }));
      const bytes = Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
      if (bytes.length !== tail.size) {
        throw new Error(`the tail ${tail.key} holds ${bytes.length} bytes, not ${tail.size}`);
      }
      return bytes;
    },

    deleteKey,

    async blobExists(digest: string): Promise<boolean> {
      return (await sizeOf(blobKey(digest))) !== null;
    },

    /** Publishes a blob small enough to be held in memory whole, already verified, at its key. */
    async putBlob(digest: string, body: Buffer): Promise<void> {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: blobKey(digest),
          Body: body,
          ContentLength: body.length,
        }),
      );
    },

    /**
     * Completes a session's multipart upload at its own key (out of sight of pulls), checks
     * that S3 assembled `size` bytes, and copies the object to the blob's key server-side
     * (UploadPartCopy above CopyObject's 5 GiB): the blob appears there whole, only once its
     * digest was verified from the hash of what streamed in, and is never read back.
     */
    async publishParts(
      session: string,
      uploadId: string,
      parts: readonly UploadPartRecord[],
      size: number,
      digest: string,
    ): Promise<void> {
      const staged = dataKey(session);
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: staged,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
      // Ceph RGW answers CompleteMultipartUpload with an empty ETag; HeadObject is right.
      const assembled = await sizeOf(staged);
      if (assembled !== size) {
        throw new Error(
          `S3 assembled ${assembled ?? 'no'} bytes for upload ${session}, not ${size}`,
        );
      }
      await copy(staged, blobKey(digest), size);
      await deleteKey(staged);
    },

    /** Aborts every multipart upload and deletes every object of `session`; what it held. */
    async discard(session: string): Promise<{ files: number; bytes: number }> {
      const found = { files: 0, bytes: 0 };
      for await (const thing of listUnder(sessionPrefix(session))) {
        found.files += 1;
        if (thing.kind === 'upload') {
          found.bytes += await uploadedBytes(thing.key, thing.uploadId);
          await abort(thing.key, thing.uploadId);
        } else {
          found.bytes += thing.size;
          await deleteKey(thing.key);
        }
      }
      return found;
    },

    /** Everything under `<prefix>uploads/`: what sweeps compare with the database. */
    staged(): AsyncIterable<StagedThing> {
      return listUnder(uploadsPrefix);
    },

    abort,

    uploadedBytes,
  };
}

export type S3UploadStaging = ReturnType<typeof createS3UploadStaging>;
