import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StagingSweep } from '../staging-owner.js';
import {
  checkRange,
  checkStoredBytes,
  checkStoredExpectation,
  DigestMismatchError,
  parseDigest,
  toAsyncIterable,
} from './blob-driver.js';
import { multipartUploadedBytes } from './s3-parts.js';
import { isNotFound, statusOf } from './s3-errors.js';
import type { S3BlobDriver } from './s3-blob-driver.js';
import { createS3UploadStaging } from './s3-upload-staging.js';

/** S3's smallest part, except the last; larger parts mean fewer requests for big layers. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 16 * 1024 * 1024;
/** A multipart upload nobody has completed for this long was left by a crashed write. */
const STAGING_STALE_MS = 60 * 60 * 1000;
/** SigV4's limit for a presigned URL. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;

export interface S3DriverOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix for everything Berth stores ('' or ending in '/'). */
  prefix?: string;
  /**
   * Signs presigned URLs, when clients reach S3 under another host name than `client` does:
   * the host is part of the signature, so the URL must be signed for the one clients use.
   */
  publicClient?: S3Client;
  /** Bytes per part of a multipart upload (at least 5 MiB). */
  partBytes?: number;
  /** For the staging sweep's age test. */
  now?: () => number;
}

/** How `write` checks what it streamed before publishing it. */
interface Verify {
  algorithm: 'sha256' | 'sha512';
  /** Throws to refuse the bytes, given their hex hash and length. */
  check: (hex: string, size: number) => void;
}

/**
 * Stores blobs as objects `<prefix>blobs/<algorithm>/<hex>` in an S3 bucket.
 *
 * Writes are published atomically by S3 itself: a blob that fits in one part is hashed in
 * memory and sent with one PutObject only once its digest matched; a larger one is a
 * multipart upload to its final key, hashed as its parts stream, and completed only if the
 * digest matched (aborted otherwise). An object appears at its key whole or not at all, so
 * there is no staging key to copy from. A crash mid-write leaves an incomplete multipart
 * upload, which costs storage until `sweepStaging` aborts it (after an hour: which process
 * started an upload is not known across machines).
 */
export function createS3Driver(options: S3DriverOptions): S3BlobDriver {
  const { client, bucket } = options;
  const prefix = options.prefix ?? '';
  const partBytes = Math.max(MIN_PART_BYTES, options.partBytes ?? DEFAULT_PART_BYTES);
  const now = options.now ?? Date.now;
  const blobsPrefix = `${prefix}blobs/`;

  const keyOf = (digest: string): string => {
    const { algorithm, hex } = parseDigest(digest);
    return `${blobsPrefix}${algorithm}/${hex}`;
  };

  async function head(key: string): Promise<{ size: number } | null> {
    try {
      const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** A content-digest check for `write`: the bytes must hash to `digest` itself. */
  const contentDigest = (digest: string): Verify => {
    const { algorithm } = parseDigest(digest);
    return {
      algorithm,
      check: (hex) => {
        const actual = `${algorithm}:${hex}`;
        if (actual !== digest) throw new DigestMismatchError(digest, actual);
      },
    };
  };

  /**
   * Streams `data` to `key`, hashing it with `verify.algorithm`, and publishes it only if
   * `verify.check` accepts the hash and length. With `exists` the bytes are only hashed: the
   * blob is there already, and the caller still learns whether what it sent matched.
   */
  async function write(
    key: string,
    verify: Verify,
    data: AsyncIterable<Uint8Array>,
    exists: boolean,
  ): Promise<{ size: number }> {
    const hash = createHash(verify.algorithm);
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | null = null;
    const parts: { PartNumber: number; ETag: string }[] = [];
    // One part in flight while the next is read: the client and S3 work at the same time,
    // and at most two parts are in memory.
    let inFlight: Promise<void> | null = null;

    const sendPart = async (body: Buffer): Promise<void> => {
      if (!uploadId) {
        const created = await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
        );
        if (!created.UploadId) throw new Error('S3 started a multipart upload without an id');
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const slot = { PartNumber, ETag: '' };
      parts.push(slot);
      const answer = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      slot.ETag = answer.ETag ?? '';
    };
    const flush = async (): Promise<void> => {
      const body = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (inFlight) await inFlight;
      inFlight = sendPart(body);
      // Surfaces a failed part at the next await, not as an unhandled rejection.
      inFlight.catch(() => undefined);
    };

    try {
      for await (const chunk of data) {
        hash.update(chunk);
        size += chunk.length;
        if (exists) continue;
        // A copy: the caller may reuse its buffer once it has handed it on.
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes >= partBytes) await flush();
      }
      verify.check(hash.digest('hex'), size);
      if (exists) return { size };
      if (uploadId === null && inFlight === null) {
        const body = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
          }),
        );
        return { size };
      }
      if (pendingBytes > 0) await flush();
      await inFlight;
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId!,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { size };
    } catch (error) {
      if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
      if (uploadId) {
        await client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw error;
    }
  }

  async function getObject(key: string, range?: string) {
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
    } catch (error) {
      if (isNotFound(error)) return null;
      if (statusOf(error) === 416)
        throw new RangeError(`byte range ${range} starts beyond the blob`);
      throw error;
    }
  }

  const uploadedBytes = (key: string, uploadId: string) =>
    multipartUploadedBytes(client, bucket, key, uploadId);

  return {
    // Registry upload sessions, under <prefix>uploads/ (see s3-upload-staging.ts).
    uploadStaging: createS3UploadStaging({ client, bucket, prefix, partBytes, blobKey: keyOf }),

    async put(digest, data) {
      const key = keyOf(digest);
      const existing = await head(key);
      return write(key, contentDigest(digest), toAsyncIterable(data), existing !== null);
    },

    async putStored(digest, data, expect) {
      checkStoredExpectation(expect);
      // A PutObject or a completed multipart upload replaces the object whole, so readers see
      // the old bytes or the new ones, never a mix; a mismatch aborts before anything is published.
      return write(
        keyOf(digest),
        {
          algorithm: 'sha256',
          check: (sha256, size) => checkStoredBytes(expect, { sha256, size }),
        },
        toAsyncIterable(data),
        false,
      );
    },

    async adopt(digest, file, durable) {
      const key = keyOf(digest);
      const existing = await head(key);
      const result = existing
        ? { size: durable?.size ?? existing.size }
        : await write(
            key,
            contentDigest(digest),
            createReadStream(file, { highWaterMark: 1024 * 1024 }),
            false,
          );
      await unlink(file).catch(() => undefined);
      return result;
    },

    async get(digest, range) {
      const key = keyOf(digest);
      let header: string | undefined;
      if (range) {
        checkRange(range);
        header = `bytes=${range.start}-${range.end}`;
      }
      const answer = await getObject(key, header);
      if (!answer) return null;
      // An empty object has no satisfiable range, but S3 answers 200 with nothing for it.
      if (range && (answer.ContentLength ?? 0) === 0 && !answer.ContentRange) {
        (answer.Body as Readable | undefined)?.destroy();
        throw new RangeError(
          `byte range ${range.start}-${range.end} starts beyond the blob's 0 bytes`,
        );
      }
      return answer.Body as Readable;
    },

    async presignedUrl(digest, seconds) {
      if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGNED_SECONDS) {
        throw new RangeError(
          `a presigned URL lasts 1 to ${MAX_PRESIGNED_SECONDS} seconds, not ${seconds}`,
        );
      }
      const command = new GetObjectCommand({ Bucket: bucket, Key: keyOf(digest) });
      return getSignedUrl(options.publicClient ?? client, command, { expiresIn: seconds });
    },

    async readAll(digest) {
      const answer = await getObject(keyOf(digest));
      if (!answer?.Body) return answer ? Buffer.alloc(0) : null;
      return Buffer.from(await answer.Body.transformToByteArray());
    },

    async stat(digest) {
      return head(keyOf(digest));
    },

    async delete(digest) {
      const key = keyOf(digest);
      if (!(await head(key))) return false;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    },

    async *list() {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: blobsPrefix,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          // `<algorithm>/<hex>` is the digest with a slash; parseDigest refuses anything else.
          const digest = (object.Key ?? '').slice(blobsPrefix.length).replace('/', ':');
          try {
            parseDigest(digest);
          } catch {
            continue;
          }
          yield digest;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async sweepStaging(opts) {
      const swept: StagingSweep = { files: 0, bytes: 0 };
      let keyMarker: string | undefined;
      let uploadMarker: string | undefined;
      for (;;) {
        const page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: blobsPrefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          const started = upload.Initiated?.getTime() ?? 0;
          if (!upload.Key || !upload.UploadId || now() - started < STAGING_STALE_MS) continue;
          swept.files += 1;
          swept.bytes += await uploadedBytes(upload.Key, upload.UploadId);
          if (!opts?.dryRun) {
            await client
              .send(
                new AbortMultipartUploadCommand({
                  Bucket: bucket,
                  Key: upload.Key,
                  UploadId: upload.UploadId,
                }),
              )
              .catch((error: unknown) => {
                if (!isNotFound(error)) throw error;
              });
          }
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadMarker = page.NextUploadIdMarker;
      }
      return swept;
    },
  };
}
