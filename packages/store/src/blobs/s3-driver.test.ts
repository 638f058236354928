import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CephRgw, cephUnavailable, startCephRgw } from '../testing/ceph-rgw.js';
import { DigestMismatchError } from './blob-driver.js';
import { collect, digestOf, runBlobDriverSuite } from './blob-driver-suite.js';
import { createS3Driver } from './s3-driver.js';
import { createS3UploadStaging } from './s3-upload-staging.js';
import { checkS3Location, createS3Client } from './s3-client.js';
import { parseS3Location, S3LocationError } from './s3-location.js';

/*
 * The S3 driver against a real S3 server: Ceph's RADOS Gateway, started for this file. Each
 * test of the shared suite gets its own key prefix in one bucket.
 */
const unavailable = cephUnavailable();
const BUCKET = 'berth-tests';
const MiB = 1024 * 1024;

let rgw: CephRgw;
let client: S3Client;

async function emptyPrefix(prefix: string): Promise<void> {
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }),
  );
  expect(uploads.Uploads ?? [], 'no multipart upload was left behind').toEqual([]);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length > 0) {
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
  }
}

describe.skipIf(unavailable !== null)(`S3 (${unavailable ?? 'Ceph RGW'})`, () => {
  beforeAll(async () => {
    rgw = await startCephRgw();
    client = createS3Client(parseS3Location(`s3://${BUCKET}?endpoint=${rgw.endpoint}`), {
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await rgw?.stop();
  }, 60_000);

  runBlobDriverSuite('s3', async () => {
    const prefix = `suite-${randomBytes(6).toString('hex')}/`;
    return {
      driver: createS3Driver({ client, bucket: BUCKET, prefix }),
      cleanup: () => emptyPrefix(prefix),
    };
  });

  describe('s3 driver specifics', () => {
    it('streams a blob larger than a part as a multipart upload, published only once it verified', async () => {
      const prefix = `multipart-${randomBytes(6).toString('hex')}/`;
      const driver = createS3Driver({ client, bucket: BUCKET, prefix, partBytes: 5 * MiB });
      const bytes = randomBytes(12 * MiB + 12345);
      const digest = digestOf(bytes);
      async function* inChunks(): AsyncIterable<Uint8Array> {
        for (let at = 0; at < bytes.length; at += 256 * 1024)
          yield bytes.subarray(at, at + 256 * 1024);
      }
      // The same bytes under another digest: three parts go up, then the upload is aborted.
      const wrong = digestOf(Buffer.from('not these bytes'));
      await expect(driver.put(wrong, inChunks())).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await driver.stat(wrong)).toBeNull();
      const left = await client.send(
        new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }),
      );
      expect(left.Uploads ?? []).toEqual([]);

      await expect(driver.put(digest, inChunks())).resolves.toEqual({ size: bytes.length });
      expect(await driver.stat(digest)).toEqual({ size: bytes.length });
      const tail = await driver.get(digest, { start: 10 * MiB, end: bytes.length + 99 });
      expect((await collect(tail!)).equals(bytes.subarray(10 * MiB))).toBe(true);
      await emptyPrefix(prefix);
    }, 60_000);

    it('presigns a GET URL from which S3 itself serves the exact bytes and a Range, and which it refuses once altered or expired', async () => {
      const prefix = `presign-${randomBytes(6).toString('hex')}/`;
      const driver = createS3Driver({ client, bucket: BUCKET, prefix });
      const bytes = randomBytes(100_000);
      const digest = digestOf(bytes);
      const other = randomBytes(1000);
      await driver.put(digest, bytes);
      await driver.put(digestOf(other), other);

      const url = await driver.presignedUrl!(digest, 60);
      expect(new URL(url).origin).toBe(rgw.endpoint);
      const whole = await fetch(url);
      expect(whole.status).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
      const slice = await fetch(url, { headers: { Range: 'bytes=1000-1999' } });
      expect(slice.status).toBe(206);
      expect(slice.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
      expect(Buffer.from(await slice.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);

      // The key is signed: the same URL pointed at another (existing) blob is refused, and so
      // is an altered signature.
      const hex = (d: string) => d.slice('sha256:'.length);
      expect((await fetch(url.replace(hex(digest), hex(digestOf(other))))).status).toBe(403);
      const signed = new URL(url);
      const signature = signed.searchParams.get('X-Amz-Signature')!;
      signed.searchParams.set(
        'X-Amz-Signature',
        `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`,
      );
      expect((await fetch(signed)).status).toBe(403);

      // Good at first (X-Amz-Date is whole seconds: at least one second of the two is left),
      // refused once the two seconds are over.
      const brief = await driver.presignedUrl!(digest, 2);
      expect((await fetch(brief)).status).toBe(200);
      await sleep(3100);
      expect((await fetch(brief)).status).toBe(403);

      await expect(driver.presignedUrl!(digest, 0)).rejects.toBeInstanceOf(RangeError);
      await expect(driver.presignedUrl!(digest, 8 * 24 * 3600)).rejects.toBeInstanceOf(RangeError);
      await emptyPrefix(prefix);
    });

    it('signs presigned URLs for the host clients reach S3 under, when it differs', async () => {
      const prefix = `presign-public-${randomBytes(6).toString('hex')}/`;
      // The same gateway under another name: the signature covers the host, so a URL signed
      // for 127.0.0.1 would not do for localhost.
      const publicEndpoint = rgw.endpoint.replace('127.0.0.1', 'localhost');
      const publicClient = createS3Client(
        parseS3Location(`s3://${BUCKET}?endpoint=${publicEndpoint}`),
        { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      );
      try {
        const driver = createS3Driver({ client, bucket: BUCKET, prefix, publicClient });
        const bytes = randomBytes(5000);
        const digest = digestOf(bytes);
        await driver.put(digest, bytes);
        const url = await driver.presignedUrl!(digest, 60);
        expect(new URL(url).origin).toBe(publicEndpoint);
        const answer = await fetch(url);
        expect(answer.status).toBe(200);
        expect(Buffer.from(await answer.arrayBuffer()).equals(bytes)).toBe(true);
        // Signed for localhost, sent to 127.0.0.1: refused.
        const elsewhere = new URL(url);
        elsewhere.hostname = '127.0.0.1';
        expect((await fetch(elsewhere)).status).toBe(403);
      } finally {
        publicClient.destroy();
      }
      await emptyPrefix(prefix);
    });

    it('aborts multipart uploads a crashed write left, once they are an hour old, and counts them in a dry run', async () => {
      const prefix = `sweep-${randomBytes(6).toString('hex')}/`;
      const key = `${prefix}blobs/sha256/${'ab'.repeat(32)}`;
      const started = await client.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }),
      );
      await client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: started.UploadId,
          PartNumber: 1,
          Body: Buffer.alloc(1000, 1),
        }),
      );
      let clock = Date.now();
      const driver = createS3Driver({ client, bucket: BUCKET, prefix, now: () => clock });
      // Young: it may be a write still going on in another process.
      expect(await driver.sweepStaging()).toEqual({ files: 0, bytes: 0 });
      clock += 61 * 60 * 1000;
      expect(await driver.sweepStaging({ dryRun: true })).toEqual({ files: 1, bytes: 1000 });
      expect(await driver.sweepStaging()).toEqual({ files: 1, bytes: 1000 });
      expect(await driver.sweepStaging()).toEqual({ files: 0, bytes: 0 });
      await emptyPrefix(prefix);
    });
  });

  describe('upload staging', () => {
    it('keeps sessions out of sweepStaging: a session two hours old is still there, until it is discarded', async () => {
      const prefix = `sessions-${randomBytes(6).toString('hex')}/`;
      let clock = Date.now();
      const driver = createS3Driver({ client, bucket: BUCKET, prefix, now: () => clock });
      const staging = driver.uploadStaging;
      const session = '3f1c1c8e-6a4e-4c39-9a0a-2f1d7f3c9b11';
      const uploadId = await staging.createUpload(session);
      await staging.uploadPart(session, uploadId, 1, Buffer.alloc(1000, 1));
      const tail = await staging.putTail(session, Buffer.alloc(10, 2));
      expect((await staging.readTail(tail)).equals(Buffer.alloc(10, 2))).toBe(true);
      clock += 2 * 60 * 60 * 1000;
      expect(await driver.sweepStaging()).toEqual({ files: 0, bytes: 0 });
      const listed = await client.send(
        new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }),
      );
      expect((listed.Uploads ?? []).map((u) => u.UploadId)).toEqual([uploadId]);
      expect(await staging.discard(session)).toEqual({ files: 2, bytes: 1010 });
      await emptyPrefix(prefix);
    });

    it('publishes a session larger than one copy may be with a multipart copy, checking the size S3 assembled', async () => {
      const prefix = `publish-${randomBytes(6).toString('hex')}/`;
      const driver = createS3Driver({ client, bucket: BUCKET, prefix });
      const staging = createS3UploadStaging({
        client,
        bucket: BUCKET,
        prefix,
        partBytes: 6 * MiB,
        blobKey: (digest) => `${prefix}blobs/${digest.replace(':', '/')}`,
        // CopyObject goes up to 5 GiB: a small limit sends this blob the way of larger ones.
        singleCopyMaxBytes: 5 * MiB,
        copyPartBytes: 5 * MiB,
      });
      const bytes = randomBytes(12 * MiB);
      const digest = digestOf(bytes);
      const upload = async (session: string) => {
        const uploadId = await staging.createUpload(session);
        const parts = [];
        for (const [number, start] of [
          [1, 0],
          [2, 6 * MiB],
        ] as const) {
          const body = bytes.subarray(start, start + 6 * MiB);
          const etag = await staging.uploadPart(session, uploadId, number, body);
          parts.push({ number, etag, size: body.length });
        }
        return { uploadId, parts };
      };
      const wrong = '4f1c1c8e-6a4e-4c39-9a0a-2f1d7f3c9b11';
      const staged = await upload(wrong);
      await expect(
        staging.publishParts(wrong, staged.uploadId, staged.parts, bytes.length + 1, digest),
      ).rejects.toThrow(/assembled 12582912 bytes/);
      expect(await driver.stat(digest)).toBeNull();
      await staging.discard(wrong);

      const session = '5f1c1c8e-6a4e-4c39-9a0a-2f1d7f3c9b11';
      const good = await upload(session);
      await staging.publishParts(session, good.uploadId, good.parts, bytes.length, digest);
      expect((await collect((await driver.get(digest))!)).equals(bytes)).toBe(true);
      // Three copied parts of 5, 5 and 2 MiB, not the two parts it was uploaded in.
      const head = await client.send(
        new HeadObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}blobs/${digest.replace(':', '/')}`,
        }),
      );
      expect(head.ETag).toMatch(/-3"$/);
      expect(await staging.discard(session)).toEqual({ files: 0, bytes: 0 });
      await emptyPrefix(prefix);
    }, 60_000);
  });

  describe('checking the location at start', () => {
    it('says in words that a bucket is missing, the credentials are wrong, or the server is not there', async () => {
      const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
      const check = (address: string, creds = credentials) => {
        const location = parseS3Location(address);
        const c = createS3Client(location, creds);
        return checkS3Location(c, location).finally(() => c.destroy());
      };
      await expect(
        check(`s3://${BUCKET}/some/prefix?endpoint=${rgw.endpoint}`),
      ).resolves.toBeUndefined();
      await expect(check(`s3://no-such-bucket?endpoint=${rgw.endpoint}`)).rejects.toThrow(
        /the bucket does not exist/,
      );
      await expect(
        check(`s3://${BUCKET}?endpoint=${rgw.endpoint}`, {
          ...credentials,
          secretAccessKey: 'wrong',
        }),
      ).rejects.toThrow(/access denied; check AWS_ACCESS_KEY_ID/);
      const error = await check(`s3://${BUCKET}?endpoint=http://127.0.0.1:1`).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(S3LocationError);
      expect((error as Error).message).toMatch(/cannot reach the server/);
    });
  });
});
