import type { BlobDriver, Store } from '@berth/store';
import type { Logger } from 'pino';
import type { Keyring } from './projects/keyring.js';
import type { BackupSettings } from './backup/backup-service.js';
import type { IdentitySettings } from './identity/identity-service.js';
import type { OperationSettings } from './operations/operation-runner.js';

export type Clock = () => number;

export interface ServiceDeps {
  store: Store;
  blobs: BlobDriver;
  clock: Clock;
  logger: Logger;
  regions: string[];
  registry: RegistrySettings;
  projects: ProjectSettings;
  keyring: Keyring;
  identity: IdentitySettings;
  /** Chunking of bulk work; the defaults when absent. */
  operations?: OperationSettings;
  /** Vulnerability scanning; the defaults when absent. */
  scanning?: ScanSettings;
  /** Scheduled backups (docs/backups.md); none when absent. */
  backup?: BackupSettings;
}

export interface ScanSettings {
  /** Queue a scan of every image pushed. */
  onPush: boolean;
  /** Scans one process runs at once. */
  concurrency: number;
  /** How long a result is kept after it is generated. */
  keepMs: number;
  /** How often the queue is looked at when no push said so. */
  pollMs: number;
  /** Attach each successful scan's inventory to the image as an OCI referrer. */
  attachSbom: boolean;
}

export const DEFAULT_SCAN_SETTINGS: ScanSettings = {
  onPush: true,
  concurrency: 2,
  keepMs: 30 * 86_400_000,
  pollMs: 5_000,
  attachSbom: false,
};

export interface ProjectSettings {
  /** Projects per region, soft-deleted ones included. */
  limit: number;
  /** Registry hosts that mean "this registry" in an image pointer; the first is shown. */
  registryHosts: string[];
}

export interface RegistrySettings {
  /** Where upload sessions are staged (the data directory, beside the blobs). */
  dataDir: string;
  /** Push into a namespace that does not exist creates it in the first region. */
  createNamespaceOnPush: boolean;
  /** Blob links younger than this survive GC: a push may be about to reference them. */
  gcGraceMs: number;
  /** Uploads idle for longer than this are abandoned and removed by GC. */
  uploadTtlMs: number;
  /**
   * Blob GETs answer 307 to a presigned URL good for this many seconds, when the blob driver
   * can presign (S3); null: Berth sends the bytes itself.
   */
  blobRedirectSeconds: number | null;
  /**
   * Encrypt image data written from now on (issue 18, BERTH_ENCRYPT_IMAGE_DATA); null or
   * absent: as the installation decided at its first start (see services/encryption).
   */
  encryptImageData?: boolean | null;
}
