import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { ConfigError, checkConfig } from '../config.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  allBlobs,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  writeLayout,
} from '../testing/oci-layout.js';
import { hasSkopeo, pullToLayout, pushLayout } from '../testing/skopeo.js';
import { binary, digestOf, pushBlob } from '../testing/registry-client.js';
import { expectOciError } from '../testing/oci-errors.js';

/*
 * BERTH_BLOB_STORE=s3://…: a server whose blobs live in a real S3 server (Ceph's RADOS
 * Gateway, started for this file), pushed to and pulled from with skopeo.
 */
const unavailable = cephUnavailable() ?? (hasSkopeo() ? null : 'skopeo is not installed');
const BUCKET = 'berth-registry';
const PREFIX = 'site-a/';

describe.skipIf(unavailable !== null)(`blobs in S3 (${unavailable ?? 'Ceph RGW'})`, () => {
  let rgw: CephRgw;
  let s3: S3Client;
  let server: TestServer;
  let work: string;
  let address: string;
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });

  async function keysInBucket(): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  beforeAll(async () => {
    rgw = await startCephRgw();
    // The standard variables, as an operator sets them.
    process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
    address = `s3://${BUCKET}/${PREFIX}?endpoint=${rgw.endpoint}`;
    s3 = createS3Client(parseS3Location(address));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    server = await startTestServer({ env: { BERTH_BLOB_STORE: address } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-s3-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'team', region: 'local' })
      .expect(201);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    s3?.destroy();
    await rgw?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('a skopeo push stores every blob in the bucket and none on disk (uploads staged in the bucket too); a pull gets them back byte for byte', async () => {
    const host = server.url.replace('http://', '');
    // One layer larger than a multipart upload's part: it goes up in parts.
    const image = randomImage({ seed: 's3-push', layers: 2, layerBytes: 20 * 1024 * 1024 });
    const source = path.join(work, 'source');
    writeLayout(source, [{ manifest: image, ref: 'image' }]);
    expect(await pushLayout(source, 'image', `${host}/team/app:1.0`, creds())).toBe(image.digest);

    const keys = await keysInBucket();
    // Config and layers; manifests are kept in the database.
    for (const blob of [image.config!, ...image.layers]) {
      expect(keys).toContain(`${PREFIX}blobs/sha256/${blob.digest.slice('sha256:'.length)}`);
    }
    expect(server.blobFiles()).toEqual([]);
    // Uploads were staged in the bucket, not under the data directory, and nothing is left.
    expect(fs.existsSync(path.join(server.dataDir, 'uploads'))).toBe(false);
    expect(keys.filter((k) => k.startsWith(`${PREFIX}uploads/`))).toEqual([]);
    const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(pending.Uploads ?? []).toEqual([]);
    expect(await server.store.db.selectFrom('upload_sessions').selectAll().execute()).toEqual([]);

    const pulled = path.join(work, 'pulled');
    expect(await pullToLayout(`${host}/team/app:1.0`, pulled, 'p', creds())).toBe(image.digest);
    expect(layoutRefDigest(pulled, 'p')).toBe(image.digest);
    for (const blob of allBlobs(image)) {
      expect(layoutBlob(pulled, blob.digest).equals(layoutBlob(source, blob.digest))).toBe(true);
    }
  }, 120_000);

  it('a blob GET serves a byte range from the bucket', async () => {
    const image = randomImage({ seed: 's3-range', layers: 1, layerBytes: 4096 });
    const source = path.join(work, 'range');
    writeLayout(source, [{ manifest: image, ref: 'image' }]);
    await pushLayout(source, 'image', `${server.url.replace('http://', '')}/team/range:1`, creds());
    const layer = image.layers[0]!;
    const bytes = layoutBlob(source, layer.digest);
    const res = await server
      .api()
      .get(`/v2/team/range/blobs/${layer.digest}`)
      .set('Range', 'bytes=100-199')
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect((res.body as Buffer).equals(bytes.subarray(100, 200))).toBe(true);
  });

  it('refuses to start, in words, when the bucket is missing or the server cannot be reached', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-s3-config-'));
    try {
      const problemsWith = async (blobStore: string) => {
        const error = await checkConfig({
          BERTH_DATA_DIR: dataDir,
          BERTH_PORT: '0',
          BERTH_HOST: '127.0.0.1',
          BERTH_ADMIN_PASSWORD: ADMIN.password,
          BERTH_BLOB_STORE: blobStore,
          AWS_ACCESS_KEY_ID: rgw.accessKeyId,
          AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      };
      expect(await problemsWith(`s3://no-such-bucket?endpoint=${rgw.endpoint}`)).toEqual([
        `BERTH_BLOB_STORE: s3://no-such-bucket at ${rgw.endpoint}: the bucket does not exist; create it first`,
      ]);
      expect(await problemsWith('s3://berth-registry?endpoint=http://127.0.0.1:1')).toEqual([
        'BERTH_BLOB_STORE: s3://berth-registry at http://127.0.0.1:1: cannot reach the server (ECONNREFUSED)',
      ]);
      expect(await problemsWith('s3://Bad_Bucket')).toEqual([
        'BERTH_BLOB_STORE: "Bad_Bucket" is not a bucket name: 3-63 lowercase letters, digits, dots and hyphens',
      ]);
      // Nothing was created in the data directory.
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
  describe('with BERTH_BLOB_REDIRECT', () => {
    const REDIRECT_PREFIX = 'site-b/';
    let redirecting: TestServer;
    const logs: string[] = [];
    const redirectingCreds = () => ({
      creds: `${ADMIN.username}:${redirecting.adminKey}`,
    });

    /** What the request log says each GET of a blob was answered with. */
    function blobGets(repository: string): { digest: string; status: number }[] {
      const prefix = `/v2/${repository}/blobs/`;
      return logs
        .map(
          (line) =>
            JSON.parse(line) as {
              req?: { method: string; url: string };
              res?: { statusCode: number };
            },
        )
        .filter((l) => l.req?.method === 'GET' && l.req.url.startsWith(prefix) && l.res)
        .map((l) => ({ digest: l.req!.url.slice(prefix.length), status: l.res!.statusCode }));
    }

    beforeAll(async () => {
      redirecting = await startTestServer({
        env: {
          BERTH_BLOB_STORE: `s3://${BUCKET}/${REDIRECT_PREFIX}?endpoint=${rgw.endpoint}`,
          BERTH_BLOB_REDIRECT: '5m',
          // Encrypted blobs are never redirected (S3 would hand out ciphertext): these tests
          // are about redirects, so image data is stored in plaintext here (issue 18).
          BERTH_ENCRYPT_IMAGE_DATA: 'false',
        },
        logStream: { write: (line: string) => void logs.push(line) },
      });
      for (const name of ['team', 'other']) {
        await redirecting
          .api()
          .post(apiPaths.namespaces())
          .send({ name, region: 'local' })
          .expect(201);
      }
    }, 60_000);

    afterAll(async () => {
      await redirecting?.stop();
    });

    it('skopeo pulls byte for byte, every blob from S3 after a 307', async () => {
      const host = redirecting.url.replace('http://', '');
      const image = randomImage({ seed: 's3-redirect', layers: 2, layerBytes: 3 * 1024 * 1024 });
      const source = path.join(work, 'redirect-source');
      writeLayout(source, [{ manifest: image, ref: 'image' }]);
      expect(await pushLayout(source, 'image', `${host}/team/pulled:1`, redirectingCreds())).toBe(
        image.digest,
      );

      const pulled = path.join(work, 'redirect-pulled');
      expect(await pullToLayout(`${host}/team/pulled:1`, pulled, 'p', redirectingCreds())).toBe(
        image.digest,
      );
      for (const blob of allBlobs(image)) {
        expect(layoutBlob(pulled, blob.digest).equals(layoutBlob(source, blob.digest))).toBe(true);
      }
      // Berth sent none of the bytes: every blob GET of the pull was a redirect.
      const gets = blobGets('team/pulled');
      expect(gets.map((g) => g.status)).toEqual(gets.map(() => 307));
      expect(new Set(gets.map((g) => g.digest))).toEqual(
        new Set([image.config!, ...image.layers].map((b) => b.digest)),
      );
    }, 120_000);

    it("a GET answers 307 to a presigned URL on the bucket's host, from which a Range gets 206; a HEAD Berth answers itself", async () => {
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
      const digest = await pushBlob(redirecting, 'team/raw', bytes);
      const res = await redirecting
        .api()
        .get(`/v2/team/raw/blobs/${digest}`)
        .redirects(0)
        .expect(307);
      expect(res.headers['docker-content-digest']).toBe(digest);
      const location = new URL(res.headers.location!);
      expect(location.origin).toBe(rgw.endpoint);
      expect(location.pathname).toBe(
        `/${BUCKET}/${REDIRECT_PREFIX}blobs/sha256/${digest.slice('sha256:'.length)}`,
      );
      expect(location.searchParams.get('X-Amz-Expires')).toBe('300');

      const whole = await fetch(location);
      expect(whole.status).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
      const slice = await fetch(location, { headers: { Range: 'bytes=100-199' } });
      expect(slice.status).toBe(206);
      expect(Buffer.from(await slice.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

      const head = await redirecting.api().head(`/v2/team/raw/blobs/${digest}`).redirects(0);
      expect(head.status).toBe(200);
      expect(head.headers.location).toBeUndefined();
      expect(head.headers['content-length']).toBe(String(bytes.length));
      expect(head.headers['docker-content-digest']).toBe(digest);
    });

    it("checks before it redirects: another repository's blob, a missing one, a deleted one and a caller without pull get what they got before", async () => {
      const theirs = await pushBlob(redirecting, 'other/app', Buffer.from('only in other/app'));
      const mine = await pushBlob(redirecting, 'team/checked', Buffer.from('deleted from team'));
      await redirecting.api().delete(`/v2/team/checked/blobs/${mine}`).expect(202);
      expect(await redirecting.blobs.stat(mine)).not.toBeNull();
      const missing = digestOf(Buffer.from('never pushed'));
      // Where the checks pass, the same request is redirected.
      const kept = await pushBlob(redirecting, 'team/checked', Buffer.from('kept in team'));
      await redirecting.api().get(`/v2/team/checked/blobs/${kept}`).redirects(0).expect(307);
      // The bytes of the blob deleted from team/checked are still in the bucket (until GC),
      // yet it is as unknown as the others.
      for (const digest of [theirs, mine, missing]) {
        const res = await redirecting.api().get(`/v2/team/checked/blobs/${digest}`).redirects(0);
        expect(res.headers.location).toBeUndefined();
        expectOciError(res, 404, 'BLOB_UNKNOWN');
      }
      const anonymous = await request(redirecting.url)
        .get(`/v2/team/checked/blobs/${kept}`)
        .redirects(0);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.location).toBeUndefined();
    });

    it('signs the URL for publicEndpoint, the name clients reach S3 under', async () => {
      // The same gateway under another name than the one Berth uses.
      const publicEndpoint = rgw.endpoint.replace('127.0.0.1', 'localhost');
      const server = await startTestServer({
        env: {
          BERTH_BLOB_STORE: `s3://${BUCKET}/${REDIRECT_PREFIX}?endpoint=${rgw.endpoint}&publicEndpoint=${publicEndpoint}`,
          BERTH_BLOB_REDIRECT: '1m',
          // As above: redirects are for blobs stored in plaintext.
          BERTH_ENCRYPT_IMAGE_DATA: 'false',
        },
      });
      try {
        await server
          .api()
          .post(apiPaths.namespaces())
          .send({ name: 'team', region: 'local' })
          .expect(201);
        const bytes = Buffer.from('reached as localhost');
        const digest = await pushBlob(server, 'team/public', bytes);
        const res = await server
          .api()
          .get(`/v2/team/public/blobs/${digest}`)
          .redirects(0)
          .expect(307);
        const location = new URL(res.headers.location!);
        expect(location.origin).toBe(publicEndpoint);
        const answer = await fetch(location);
        expect(answer.status).toBe(200);
        expect(Buffer.from(await answer.arrayBuffer()).equals(bytes)).toBe(true);
      } finally {
        await server.stop();
      }
    });
  });
});
