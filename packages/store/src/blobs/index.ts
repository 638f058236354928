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
// The shared test suite is deliberately not re-exported: it imports vitest, which must stay
// out of the runtime bundle. Driver tests import `./blob-driver-suite.js` directly.
