import crypto from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { pushBlob } from '../../testing/registry-client.js';
import { SEGMENT_BYTES, storedSizeOf } from './segment-format.js';

/*
 * Encryption at rest with blobs in S3 (Ceph's RADOS Gateway, started for this file): uploads
 * staged in the bucket are published, then encrypted in place; the bucket holds ciphertext
 * only, reads decrypt S3 byte ranges, and redirects are never given for encrypted blobs.
 */
const unavailable = cephUnavailable();
const BUCKET = 'berth-encryption';
const PREFIX = 'enc/';
const S = SEGMENT_BYTES;

describe.skipIf(unavailable !== null)(
  `encrypted blobs in S3 (${unavailable ?? 'Ceph RGW'})`,
  () => {
    let rgw: CephRgw;
    let s3: S3Client;
    let server: TestServer;

    async function objectBytes(digest: string): Promise<Buffer> {
      const [algorithm, hex] = digest.split(':') as [string, string];
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}blobs/${algorithm}/${hex}` }),
      );
      return Buffer.from(await answer.Body!.transformToByteArray());
    }

    beforeAll(async () => {
      rgw = await startCephRgw();
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      const address = `s3://${BUCKET}/${PREFIX}?endpoint=${rgw.endpoint}`;
      s3 = createS3Client(parseS3Location(address));
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      server = await startTestServer({
        env: { BERTH_BLOB_STORE: address, BERTH_BLOB_REDIRECT: '5m' },
      });
      await server.api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' });
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      s3?.destroy();
      await rgw?.stop();
    }, 60_000);

    it('stores ciphertext in the bucket, serves Range reads across segments itself, never a 307', async () => {
      // Larger than a multipart part would be in a real push; here one request's blob.
      const bytes = crypto.randomBytes(3 * S + 123);
      const digest = await pushBlob(server, 'team/app', bytes);
      const stored = await objectBytes(digest);
      expect(stored.subarray(0, 8).toString('latin1')).toBe('BERTHENC');
      expect(stored.length).toBe(storedSizeOf(bytes.length));
      for (const at of [0, S, 2 * S + 7]) {
        expect(stored.includes(bytes.subarray(at, at + 48))).toBe(false);
      }
      const whole = await server.api().get(`/v2/team/app/blobs/${digest}`).buffer(true).expect(200);
      expect(Buffer.from(whole.body as Buffer).equals(bytes)).toBe(true);
      const range = await server
        .api()
        .get(`/v2/team/app/blobs/${digest}`)
        .set('Range', `bytes=${S - 5}-${2 * S + 5}`)
        .buffer(true)
        .expect(206);
      expect(Buffer.from(range.body as Buffer).equals(bytes.subarray(S - 5, 2 * S + 6))).toBe(true);
    });
  },
);
