import type { BlobDriver, Store } from '@berth/store';
import type { Logger } from 'pino';

export type Clock = () => number;

export interface ServiceDeps {
  store: Store;
  blobs: BlobDriver;
  clock: Clock;
  logger: Logger;
  regions: string[];
  registry: RegistrySettings;
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
}
