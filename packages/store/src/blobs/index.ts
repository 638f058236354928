export {
  type BlobDriver,
  type BlobReader,
  DigestMismatchError,
  StoredBytesMismatchError,
  InvalidDigestError,
  parseDigest,
  BLOB_ALGORITHMS,
  type BlobAlgorithm,
} from './blob-driver.js';
export { createFilesystemDriver } from './filesystem-driver.js';
export { createMemoryDriver } from './memory-driver.js';
export { MAX_PARTS, MIN_PART_BYTES, type S3BlobDriver, uploadStagingOf } from './s3-blob-driver.js';
export type { S3UploadStaging, S3UploadStagingOptions, StagedThing } from './s3-upload-staging.js';
export type { S3DriverOptions } from './s3-driver.js';
export { parseS3Location, type S3Location, S3LocationError } from './s3-location.js';
// The S3 driver and client themselves load the AWS SDK: they are in `@berth/store/s3`.
// The shared test suite is deliberately not re-exported: it imports vitest, which must stay
// out of the runtime bundle. Driver tests import `./blob-driver-suite.js` directly.
