import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { createS3Client, parseS3Location } from '@berth/store';
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
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
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
});
