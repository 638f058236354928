// Ceph's RADOS Gateway as the benchmarks' S3, started as the tests start it
// (packages/store/src/testing/ceph-rgw.ts), with the S3 SDK as the store resolves it (the
// benchmarks have no dependencies of their own).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const storeDist = path.join(root, 'packages', 'store', 'dist');

/** Why Ceph cannot run here, or null. */
export async function cephMissing() {
  const { cephUnavailable } = await import(path.join(storeDist, 'testing', 'ceph-rgw.js'));
  return cephUnavailable();
}

/**
 * The gateway with `memoryBytes` of in-memory object store: `bucket(name)` makes a bucket and
 * answers its BERTH_BLOB_STORE address; `env` is what a Berth process needs to reach it.
 */
export async function startCephS3({ memoryBytes }) {
  const { startCephRgw } = await import(path.join(storeDist, 'testing', 'ceph-rgw.js'));
  const rgw = await startCephRgw({ memoryBytes });
  const { S3Client, CreateBucketCommand } = await import(
    createRequire(path.join(storeDist, 'index.js')).resolve('@aws-sdk/client-s3')
  );
  const s3 = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  return {
    rgw,
    env: { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey },
    bucket: async (name) => {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      return `s3://${name}/berth/?endpoint=${rgw.endpoint}`;
    },
    stop: async () => {
      s3.destroy();
      await rgw.stop();
    },
  };
}
