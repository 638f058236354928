import http from 'node:http';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { randomBytesFromSeed } from '../seed/oci-content.js';
import { expectOciError } from '../testing/oci-errors.js';
import { binary, digestOf, OCTETS } from '../testing/registry-client.js';
import {
  type ServerProcess,
  startServerProcess,
  stopServerProcesses,
  until,
} from '../testing/server-processes.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Upload sessions with BERTH_BLOB_STORE=s3://… (issue 16): S3 multipart uploads whose state is
 * in the database, so that every request of one upload may go to a different Berth process.
 * Two server processes share one SQLite file and one bucket of a real Ceph RADOS Gateway; an
 * in-process server on the same data directory runs GC with a clock the test moves.
 */
const unavailable = cephUnavailable();
/**
 * These check how plaintext sessions are cut into parts and tails (image data encryption off,
 * as an installation from before it keeps). Sessions encrypted as they arrive are staged as
 * ciphertext, in other sizes: encryption-s3.test.ts covers them.
 */
const PLAINTEXT = { BERTH_ENCRYPT_IMAGE_DATA: '0' };
const BUCKET = 'berth-uploads';
const PREFIX = 'site-b/';
const MiB = 1024 * 1024;
const REPO = '/v2/team/app';

describe.skipIf(unavailable !== null)(
  `upload sessions in S3 (${unavailable ?? 'Ceph RGW'})`,
  () => {
    let rgw: CephRgw;
    let s3: S3Client;
    let local: TestServer;
    let one: ServerProcess;
    let two: ServerProcess;
    let address: string;

    const on = (target: ServerProcess | TestServer) => {
      const url =
        'url' in target && typeof target.url === 'string'
          ? target.url
          : (target as ServerProcess).url();
      const auth = (r: request.Test) => r.set('Authorization', `Bearer ${local.adminKey}`);
      const agent = request(url);
      return {
        post: (path: string) => auth(agent.post(path)),
        get: (path: string) => auth(agent.get(path)),
        put: (path: string) => auth(agent.put(path)),
        delete: (path: string) => auth(agent.delete(path)),
        chunk: (location: string, bytes: Buffer, start: number) =>
          auth(agent.patch(location))
            .set('Content-Type', OCTETS)
            .set('Content-Range', `${start}-${start + bytes.length - 1}`)
            .send(bytes),
      };
    };

    const idOf = (location: string) => location.split('/').at(-1)!;

    async function sessionUploads(id: string) {
      const listed = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${PREFIX}uploads/${id}/` }),
      );
      return (listed.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
    }

    async function sessionObjects(id: string) {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}uploads/${id}/` }),
      );
      return (listed.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size! }));
    }

    async function partSizes(id: string): Promise<number[]> {
      const [upload] = await sessionUploads(id);
      if (!upload) return [];
      const parts = await s3.send(
        new ListPartsCommand({ Bucket: BUCKET, Key: upload.key, UploadId: upload.uploadId }),
      );
      return (parts.Parts ?? []).map((p) => p.Size!);
    }

    async function blobKeys(): Promise<string[]> {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}blobs/` }),
      );
      return (listed.Contents ?? []).map((o) => o.Key!);
    }

    const keyOf = (digest: string) => `${PREFIX}blobs/${digest.replace(':', '/')}`;

    async function getBlob(target: ServerProcess | TestServer, digest: string) {
      const res = await on(target)
        .get(`${REPO}/blobs/${digest}`)
        .buffer(true)
        .parse(binary)
        .expect(200);
      return { bytes: res.body as Buffer, digest: res.headers['docker-content-digest'] };
    }

    beforeAll(async () => {
      rgw = await startCephRgw();
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      address = `s3://${BUCKET}/${PREFIX}?endpoint=${rgw.endpoint}`;
      s3 = createS3Client(parseS3Location(address));
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      local = await startTestServer({ env: { BERTH_BLOB_STORE: address, ...PLAINTEXT } });
      await local
        .api()
        .post(apiPaths.namespaces())
        .send({ name: 'team', region: 'local' })
        .expect(201);
      one = startServerProcess(local.dataDir, { BERTH_BLOB_STORE: address, ...PLAINTEXT });
      two = startServerProcess(local.dataDir, { BERTH_BLOB_STORE: address, ...PLAINTEXT });
      await until(() => one.listening() && two.listening(), 'both servers to listen', 60_000);
    }, 180_000);

    afterAll(async () => {
      await stopServerProcesses();
      await local?.stop();
      s3?.destroy();
      await rgw?.stop();
    }, 60_000);

    it('a chunked upload whose every request goes to another process: parts, tails and the blob byte for byte', async () => {
      const blob = randomBytesFromSeed('s3-chunked-across-processes', 32 * MiB);
      const digest = digestOf(blob);
      const opened = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      const id = idOf(location);
      let at = 0;
      const send = async (target: ServerProcess, bytes: number) => {
        const res = await on(target)
          .chunk(location, blob.subarray(at, at + bytes), at)
          .expect(202);
        at += bytes;
        expect(res.headers.range).toBe(`0-${at - 1}`);
      };

      // 6 MiB: enough for a part of its own.
      await send(two, 6 * MiB);
      expect(await partSizes(id)).toEqual([6 * MiB]);
      // 2 MiB in the middle: too few for a part, so they wait in a tail object.
      await send(one, 2 * MiB);
      expect(await partSizes(id)).toEqual([6 * MiB]);
      expect((await sessionObjects(id)).map((o) => o.size)).toEqual([2 * MiB]);
      // The other process sends the tail first, cuts a 16 MiB part, and 6 MiB are left: a part.
      await send(two, 20 * MiB);
      const sizes = await partSizes(id);
      expect(sizes).toHaveLength(3);
      expect(sizes[1]).toBeGreaterThanOrEqual(16 * MiB);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(28 * MiB);
      expect(await sessionObjects(id)).toEqual([]);
      await send(one, 1 * MiB);
      // Either process says where the upload stands.
      const status = await on(two).get(location).expect(204);
      expect(status.headers.range).toBe(`0-${29 * MiB - 1}`);

      const last = blob.subarray(at);
      const done = await on(two)
        .put(`${location}?digest=${digest}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', `${at}-${blob.length - 1}`)
        .send(last)
        .expect(201);
      expect(done.headers['docker-content-digest']).toBe(digest);

      const got = await getBlob(one, digest);
      expect(got.digest).toBe(digest);
      expect(got.bytes.equals(blob)).toBe(true);
      expect(await blobKeys()).toContain(keyOf(digest));
      // The session is gone everywhere: its multipart upload, its objects, its row.
      expect(await sessionUploads(id)).toEqual([]);
      expect(await sessionObjects(id)).toEqual([]);
      expectOciError(await on(one).get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    }, 120_000);

    it('a session is cancelled on another process than the one that wrote it', async () => {
      const blob = randomBytesFromSeed('s3-cancel', 7 * MiB + 1000);
      const opened = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      const id = idOf(location);
      await on(one)
        .chunk(location, blob.subarray(0, 7 * MiB), 0)
        .expect(202);
      await on(one)
        .chunk(location, blob.subarray(7 * MiB), 7 * MiB)
        .expect(202);
      expect(await partSizes(id)).toEqual([7 * MiB]);
      expect(await sessionObjects(id)).toHaveLength(1);

      await on(two).delete(location).expect(204);
      expect(await sessionUploads(id)).toEqual([]);
      expect(await sessionObjects(id)).toEqual([]);
      const after = await on(one).chunk(location, Buffer.from('more'), blob.length);
      expectOciError(after, 404, 'BLOB_UPLOAD_UNKNOWN');
      // Another repository's name does not reach a session either.
      const other = await on(two).post(`${REPO}/blobs/uploads/`).expect(202);
      const elsewhere = other.headers.location!.replace('/team/app/', '/team/other/');
      expectOciError(await on(one).get(elsewhere), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await on(one).delete(elsewhere), 404, 'BLOB_UPLOAD_UNKNOWN');
      await on(one).delete(other.headers.location!).expect(204);
    }, 60_000);

    it('a chunk whose client went away mid-part leaves the session as it was, and its retry on the other process goes on from there', async () => {
      const blob = randomBytesFromSeed('s3-retry', 26 * MiB);
      const digest = digestOf(blob);
      const opened = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      const id = idOf(location);
      await on(one)
        .chunk(location, blob.subarray(0, 6 * MiB), 0)
        .expect(202);

      // 20 MiB announced, 17 MiB of other bytes sent: one 16 MiB part reaches S3, then the
      // connection drops.
      const url = new URL(`${two.url()}${location}`);
      const failing = http.request(url, {
        method: 'PATCH',
        headers: {
          Authorization: `Bearer ${local.adminKey}`,
          'Content-Type': OCTETS,
          'Content-Length': String(20 * MiB),
          'Content-Range': `${6 * MiB}-${26 * MiB - 1}`,
        },
      });
      failing.on('error', () => {});
      failing.write(randomBytesFromSeed('not-the-blob', 17 * MiB));
      const deadline = Date.now() + 30_000;
      while ((await partSizes(id)).length < 2) {
        if (Date.now() > deadline) throw new Error('the failing chunk sent no part');
        await new Promise((r) => setTimeout(r, 100));
      }
      failing.destroy();

      // Nothing of it was recorded.
      const status = await on(one).get(location).expect(204);
      expect(status.headers.range).toBe(`0-${6 * MiB - 1}`);
      // The process that took the chunk lets go of the session once it sees its client gone.
      const released = Date.now() + 10_000;
      while ((await local.store.uploadSessions.get(id))?.owner !== null) {
        if (Date.now() > released) throw new Error('the failed chunk still holds the session');
        await new Promise((r) => setTimeout(r, 50));
      }
      const retried = await on(one).chunk(location, blob.subarray(6 * MiB), 6 * MiB);
      expect(retried.status).toBe(202);
      expect(retried.headers.range).toBe(`0-${26 * MiB - 1}`);
      await on(two).put(`${location}?digest=${digest}`).expect(201);
      const got = await getBlob(two, digest);
      expect(got.bytes.equals(blob)).toBe(true);
      expect(await sessionUploads(id)).toEqual([]);
    }, 120_000);

    it('a chunk out of order is 416 with the Range and Location to resume from, on any process', async () => {
      const blob = randomBytesFromSeed('s3-out-of-order', 30);
      const digest = digestOf(blob);
      const opened = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      await on(one).chunk(location, blob.subarray(0, 10), 0).expect(202);
      for (const start of [20, 0]) {
        const res = await on(two).chunk(location, blob.subarray(start, start + 10), start);
        expectOciError(res, 416, 'BLOB_UPLOAD_INVALID');
        expect(res.headers.range).toBe('0-9');
        expect(res.headers.location).toBe(location);
      }
      const closing = await on(two)
        .put(`${location}?digest=${digest}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', '0-29')
        .send(blob);
      expectOciError(closing, 416, 'BLOB_UPLOAD_INVALID');
      expect(closing.headers.range).toBe('0-9');
      await on(two)
        .put(`${location}?digest=${digest}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', '10-29')
        .send(blob.subarray(10))
        .expect(201);
      expect((await getBlob(one, digest)).bytes.equals(blob)).toBe(true);
    });

    it('a digest that does not match at PUT is DIGEST_INVALID and removes everything of the session', async () => {
      const blob = randomBytesFromSeed('s3-mismatch', 7 * MiB + 2000);
      const wrong = digestOf(Buffer.from('something else'));
      const opened = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      const id = idOf(location);
      await on(two)
        .chunk(location, blob.subarray(0, 7 * MiB), 0)
        .expect(202);
      await on(one)
        .chunk(location, blob.subarray(7 * MiB, 7 * MiB + 1000), 7 * MiB)
        .expect(202);
      expect(await sessionUploads(id)).toHaveLength(1);
      expect(await sessionObjects(id)).toHaveLength(1);

      const res = await on(two)
        .put(`${location}?digest=${wrong}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', `${7 * MiB + 1000}-${blob.length - 1}`)
        .send(blob.subarray(7 * MiB + 1000));
      expect(expectOciError(res, 400, 'DIGEST_INVALID')).toContain(digestOf(blob));
      expect(await sessionUploads(id)).toEqual([]);
      expect(await sessionObjects(id)).toEqual([]);
      const keys = await blobKeys();
      expect(keys).not.toContain(keyOf(wrong));
      expect(keys).not.toContain(keyOf(digestOf(blob)));
      expectOciError(await on(one).get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    }, 60_000);

    it('sha512: an announced session resumes its sha512 hash across processes; an unannounced one cannot end with a sha512 digest', async () => {
      const blob = randomBytesFromSeed('s3-sha512', 6 * MiB + 3000);
      const digest = digestOf(blob, 'sha512');
      const announced = await on(one)
        .post(`${REPO}/blobs/uploads/?digest-algorithm=sha512`)
        .expect(202);
      const location = announced.headers.location!;
      await on(two).chunk(location, blob.subarray(0, 3000), 0).expect(202);
      await on(one).chunk(location, blob.subarray(3000), 3000).expect(202);
      await on(two).put(`${location}?digest=${digest}`).expect(201);
      expect((await getBlob(one, digest)).bytes.equals(blob)).toBe(true);
      expect(await blobKeys()).toContain(keyOf(digest));

      // Hashed as sha256 while it arrived: ending it in sha512 would mean reading it back.
      const plain = await on(one).post(`${REPO}/blobs/uploads/`).expect(202);
      const id = idOf(plain.headers.location!);
      await on(two).chunk(plain.headers.location!, blob.subarray(0, 3000), 0).expect(202);
      const res = await on(one).put(`${plain.headers.location!}?digest=${digest}`);
      expect(expectOciError(res, 400, 'DIGEST_INVALID')).toContain('?digest-algorithm=sha512');
      expect(await sessionObjects(id)).toEqual([]);
      expectOciError(await on(two).get(plain.headers.location!), 404, 'BLOB_UPLOAD_UNKNOWN');
    }, 60_000);

    it('a single-request upload streams to S3 and publishes at the blob key; a blob already stored is kept', async () => {
      const blob = randomBytesFromSeed('s3-monolithic', 18 * MiB);
      const digest = digestOf(blob);
      for (const target of [one, two]) {
        await on(target)
          .post(`${REPO}/blobs/uploads/?digest=${digest}`)
          .set('Content-Type', OCTETS)
          .send(blob)
          .expect(201);
      }
      expect((await getBlob(two, digest)).bytes.equals(blob)).toBe(true);
      const small = randomBytesFromSeed('s3-monolithic-small', 1000);
      await on(one)
        .post(`${REPO}/blobs/uploads/?digest=${digestOf(small)}`)
        .set('Content-Type', OCTETS)
        .send(small)
        .expect(201);
      expect((await getBlob(two, digestOf(small))).bytes.equals(small)).toBe(true);
      const left = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${PREFIX}uploads/` }),
      );
      expect(left.Uploads ?? []).toEqual([]);
    }, 60_000);

    it('GC removes a session idle for longer than BERTH_UPLOAD_TTL_MS: its multipart upload is aborted, its tail and row removed', async () => {
      const opened = await on(local).post(`${REPO}/blobs/uploads/`).expect(202);
      const location = opened.headers.location!;
      const id = idOf(location);
      await on(local)
        .chunk(location, randomBytesFromSeed('s3-stale', 6 * MiB), 0)
        .expect(202);
      await on(local)
        .chunk(location, Buffer.alloc(1000, 7), 6 * MiB)
        .expect(202);
      expect(await sessionUploads(id)).toHaveLength(1);
      expect(await sessionObjects(id)).toHaveLength(1);

      // Not stale yet: GC leaves it alone.
      await local.api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
      expect(await sessionUploads(id)).toHaveLength(1);
      expect(await local.store.uploadSessions.get(id)).not.toBeNull();

      local.clock.advance(25 * 3_600_000);
      const dry = await local.api().post(apiPaths.gcRuns()).send({ dryRun: true }).expect(200);
      expect(dry.body.uploads).toBeGreaterThanOrEqual(1);
      expect(await sessionUploads(id)).toHaveLength(1);
      const run = await local.api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
      expect(run.body.uploads).toBeGreaterThanOrEqual(1);
      expect(run.body.uploadBytes).toBeGreaterThanOrEqual(6 * MiB + 1000);
      expect(await sessionUploads(id)).toEqual([]);
      expect(await sessionObjects(id)).toEqual([]);
      expect(await local.store.uploadSessions.get(id)).toBeNull();
      expectOciError(await on(two).get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    }, 60_000);

    it('a single-request upload whose process was killed is swept once its claim lapsed', async () => {
      const doomed = startServerProcess(local.dataDir, { BERTH_BLOB_STORE: address, ...PLAINTEXT });
      await until(doomed.listening, 'the third server to listen', 60_000);
      const blob = randomBytesFromSeed('s3-killed', 20 * MiB);
      const before = new Set(
        (
          await s3.send(
            new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${PREFIX}uploads/` }),
          )
        ).Uploads?.map((u) => u.UploadId),
      );
      const req = http.request(
        new URL(`${doomed.url()}${REPO}/blobs/uploads/?digest=${digestOf(blob)}`),
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${local.adminKey}`,
            'Content-Type': OCTETS,
            'Content-Length': String(blob.length),
          },
        },
      );
      req.on('error', () => {});
      req.write(blob.subarray(0, 17 * MiB));
      let id = '';
      const deadline = Date.now() + 30_000;
      while (!id) {
        if (Date.now() > deadline) throw new Error('the killed upload sent no part');
        const listed = await s3.send(
          new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${PREFIX}uploads/` }),
        );
        const fresh = (listed.Uploads ?? []).find((u) => !before.has(u.UploadId));
        if (fresh && (await partSizes(fresh.Key!.split('/').at(-2)!)).length > 0) {
          id = fresh.Key!.split('/').at(-2)!;
        } else await new Promise((r) => setTimeout(r, 100));
      }
      doomed.child.kill('SIGKILL');
      await new Promise((resolve) => doomed.child.once('exit', resolve));
      req.destroy();

      // Its claim still holds: the process might only be slow.
      local.clock.now = Date.now();
      await local.services.gc.sweepStray();
      expect(await sessionUploads(id)).toHaveLength(1);
      // 31 s later it has lapsed, so the process is gone: the upload is removed.
      local.clock.now = Date.now() + 31_000;
      const swept = await local.services.gc.sweepStray();
      expect(swept.files).toBeGreaterThanOrEqual(1);
      expect(swept.bytes).toBeGreaterThanOrEqual(16 * MiB);
      expect(await sessionUploads(id)).toEqual([]);
      expect(await local.store.uploadSessions.get(id)).toBeNull();
    }, 120_000);
  },
);
