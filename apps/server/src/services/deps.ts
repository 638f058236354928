import type { BlobDriver, Store } from '@berth/store';
import type { Logger } from 'pino';

export type Clock = () => number;

export interface ServiceDeps {
  store: Store;
  blobs: BlobDriver;
  clock: Clock;
  logger: Logger;
  regions: string[];
}
