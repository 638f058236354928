import type { BlobDriver } from './blob-driver.js';
import type { S3UploadStaging } from './s3-upload-staging.js';

// What the rest of Berth needs to know about S3 blobs without loading the AWS SDK (a quarter
// of a second at every start): the SDK's modules are in `@berth/store/s3`, imported only
// when BERTH_BLOB_STORE names a bucket.

const MiB = 1024 * 1024;
/** S3's smallest part, except the last. */
export const MIN_PART_BYTES = 5 * MiB;
/** S3's largest part number. */
export const MAX_PARTS = 10_000;

/** A blob driver that keeps blobs in S3, and so can stage upload sessions there. */
export interface S3BlobDriver extends BlobDriver {
  readonly uploadStaging: S3UploadStaging;
}

/** The driver's upload staging when its blobs are in S3; null otherwise. */
export function uploadStagingOf(driver: BlobDriver): S3UploadStaging | null {
  return (driver as Partial<S3BlobDriver>).uploadStaging ?? null;
}
