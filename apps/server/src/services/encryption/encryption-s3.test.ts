import crypto from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { OCTETS, digestOf, pushBlob } from '../../testing/registry-client.js';
import { SEGMENT_BYTES, storedSizeOf } from './segment-format.js';

/*
 * Encryption at rest with blobs in S3 (Ceph's RADOS Gateway, started for this file): uploads
 * are encrypted as they arrive, so tail objects, parts and the blob hold ciphertext only;
 * reads decrypt S3 byte ranges, and redirects are never given for encrypted blobs.
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
    let address: string;

    async function objectBytes(digest: string): Promise<Buffer> {
      const [algorithm, hex] = digest.split(':') as [string, string];
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}blobs/${algorithm}/${hex}` }),
      );
      return Buffer.from(await answer.Body!.transformToByteArray());
    }

    /** Every object in the bucket (staged tails and blobs), whole. */
    async function everyObject(): Promise<{ key: string; bytes: Buffer }[]> {
      const out: { key: string; bytes: Buffer }[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
          out.push({ key: o.Key!, bytes: Buffer.from(await answer.Body!.transformToByteArray()) });
        }
        token = page.NextContinuationToken;
      } while (token);
      return out;
    }

    async function expectNoPlaintext(sent: Buffer, when: string) {
      const objects = await everyObject();
      for (let at = 0; at + 48 <= sent.length; at += 8192) {
        const probe = sent.subarray(at, at + 48);
        for (const o of objects) {
          expect(o.bytes.includes(probe), `plaintext in ${o.key} ${when}`).toBe(false);
        }
      }
      const end = sent.subarray(sent.length - 48);
      for (const o of objects) expect(o.bytes.includes(end), `${o.key} ${when}`).toBe(false);
      return objects;
    }

    beforeAll(async () => {
      rgw = await startCephRgw();
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      address = `s3://${BUCKET}/${PREFIX}?endpoint=${rgw.endpoint}`;
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

      // The redirect decision comes from the database: a blob with a key recorded is never
      // redirected, even while its stored bytes are plaintext (here: put back as plaintext, as
      // in the moment before encrypt-existing rewrites it). Berth serves what is stored.
      const [algorithm, hex] = digest.split(':') as [string, string];
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${PREFIX}blobs/${algorithm}/${hex}`,
          Body: bytes,
        }),
      );
      const plain = await server.api().get(`/v2/team/app/blobs/${digest}`).buffer(true).expect(200);
      expect(Buffer.from(plain.body as Buffer).equals(bytes)).toBe(true);
      // A blob without a key is still redirected.
      await server.store.db.deleteFrom('encrypted_blobs').where('digest', '=', digest).execute();
      await server.api().get(`/v2/team/app/blobs/${digest}`).expect(307);
    });

    it('stages a chunked push as ciphertext only: tail objects, parts and the blob', async () => {
      // More than a part (5 MiB), with chunks that end inside segments.
      const bytes = crypto.randomBytes(6 * 1024 * 1024 + 12_345);
      const digest = digestOf(bytes);
      const open = await server.api().post('/v2/team/chunked/blobs/uploads/').expect(202);
      const location = open.headers.location!;
      const cuts = [100_001, 100_001 + 5 * 1024 * 1024 + 3, bytes.length - 70_000];
      // Every other request goes to a second server on the same database and bucket: the
      // session's key and sealed tail are taken up from the row and the tail object.
      const second = await startTestServer({
        dataDir: server.dataDir,
        env: { BERTH_BLOB_STORE: address, BERTH_BLOB_REDIRECT: '5m' },
      });
      let at = 0;
      for (const [i, cut] of cuts.entries()) {
        await (i % 2 === 1 ? second : server)
          .api()
          .patch(location)
          .set('Content-Type', OCTETS)
          .set('Content-Range', `${at}-${cut - 1}`)
          .send(bytes.subarray(at, cut))
          .expect(202);
        at = cut;
        const objects = await expectNoPlaintext(bytes.subarray(0, at), `after ${at} bytes`);
        // The sealed tail is staged in the bucket between requests.
        expect(objects.some((o) => o.key.includes('/tail-'))).toBe(true);
      }
      await second.close();
      await server
        .api()
        .put(`${location}?digest=${digest}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', `${at}-${bytes.length - 1}`)
        .send(bytes.subarray(at))
        .expect(201);
      await expectNoPlaintext(bytes, 'after the push');
      const stored = await objectBytes(digest);
      expect(stored.length).toBe(storedSizeOf(bytes.length));
      expect(stored[8]).toBe(2);
      const whole = await server
        .api()
        .get(`/v2/team/chunked/blobs/${digest}`)
        .buffer(true)
        .expect(200);
      expect(Buffer.from(whole.body as Buffer).equals(bytes)).toBe(true);
      // Pushed again elsewhere: stored once, the upload dropped, still ciphertext.
      await pushBlob(server, 'team/again', bytes);
      expect((await objectBytes(digest)).equals(stored)).toBe(true);
    }, 120_000);
  },
);
