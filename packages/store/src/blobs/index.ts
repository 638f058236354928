export {
  type BlobDriver,
  type BlobReader,
  DigestMismatchError,
  InvalidDigestError,
  parseDigest,
  BLOB_ALGORITHMS,
  type BlobAlgorithm,
} from './blob-driver.js';
export { createFilesystemDriver } from './filesystem-driver.js';
export { createMemoryDriver } from './memory-driver.js';
export { createS3Driver, type S3DriverOptions } from './s3-driver.js';
export {
  createS3UploadStaging,
  MAX_PARTS,
  MIN_PART_BYTES,
  type S3BlobDriver,
  type S3UploadStaging,
  type S3UploadStagingOptions,
  type StagedThing,
  uploadStagingOf,
} from './s3-upload-staging.js';
export {
  checkS3Location,
  createS3Client,
  parseS3Location,
  type S3Location,
  S3LocationError,
} from './s3-location.js';
// The shared test suite is deliberately not re-exported: it imports vitest, which must stay
// out of the runtime bundle. Driver tests import `./blob-driver-suite.js` directly.
