import { runBlobDriverSuite } from './blob-driver-suite.js';
import { createMemoryDriver } from './memory-driver.js';

runBlobDriverSuite('memory', async () => ({
  driver: createMemoryDriver(),
  cleanup: async () => {},
}));
